// Package accept holds the accept step every server of sluice shares (the
// broker's Kafka port, the coordinator's client and peer ports): a failed
// Accept that is not the listener closing is waited out, never fatal.
package accept

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"
)

// The backoff after a failed Accept, as net/http's Server uses: 5ms,
// doubling up to 1s.
const (
	backoffMin = 5 * time.Millisecond
	backoffMax = time.Second
)

// Next returns ln's next connection. An Accept error other than a closed
// listener, such as EMFILE when the process is out of file descriptors, is
// logged and waited out with a doubling backoff rather than returned: it
// passes when connections close, and ending the accept loop would leave a
// process running that takes no more clients (or peers). Next returns an
// error only once ln is closed or ctx is done.
func Next(ctx context.Context, ln net.Listener, log *slog.Logger) (net.Conn, error) {
	var delay time.Duration
	for {
		nc, err := ln.Accept()
		if err == nil {
			return nc, nil
		}
		if errors.Is(err, net.ErrClosed) {
			return nil, fmt.Errorf("accept on %s: %w", ln.Addr(), err)
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("accept on %s: %w", ln.Addr(), ctx.Err())
		}
		delay = min(max(2*delay, backoffMin), backoffMax)
		log.Warn("accept failed; retrying", "addr", ln.Addr().String(), "err", err, "retry_in", delay)
		timer := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil, fmt.Errorf("accept on %s: %w", ln.Addr(), ctx.Err())
		case <-timer.C:
		}
	}
}

// Package await holds the helpers tests use to wait for a condition
// instead of sleeping: poll a function until it returns nil or time runs
// out (Eventually), or, for large work whose duration depends on how busy
// the machine is, until it stops making progress (Progress).
package await

import (
	"fmt"
	"testing"
	"time"
)

// Eventually calls f every interval until it returns nil, and fails the test
// with f's last error if that has not happened within total.
func Eventually(tb testing.TB, total, interval time.Duration, f func() error) {
	tb.Helper()
	if err := Until(total, interval, f); err != nil {
		tb.Fatalf("condition not met within %s: %v", total, err)
	}
}

// Until is Eventually for code without a testing.TB: it returns f's last
// error if f did not return nil within total.
func Until(total, interval time.Duration, f func() error) error {
	deadline := time.Now().Add(total)
	for {
		err := f()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(interval)
	}
}

// Progress waits for large work, such as 400,000 lines to arrive, whose
// duration depends on the machine's load rather than on the code under
// test. It calls f every interval until f returns a nil error; f also
// returns how far the work has got (e.g. lines arrived so far), a count
// that grows while the work goes on. The test fails only if the count did
// not grow for stall (the work stopped: a lost line, a hung component),
// or if total, a cap far beyond what the work takes even on a busy
// machine, has passed.
//
// f is called often: it must be cheap (read a running count) and must not
// hold a lock that the work itself needs.
func Progress(tb testing.TB, stall, total, interval time.Duration, f func() (int64, error)) {
	tb.Helper()
	if err := UntilProgress(stall, total, interval, f); err != nil {
		tb.Fatal(err)
	}
}

// UntilProgress is Progress for code without a testing.TB (a writer
// goroutine): it returns an error naming f's last count and error if the
// count stopped growing for stall or total passed first.
func UntilProgress(stall, total, interval time.Duration, f func() (int64, error)) error {
	start := time.Now()
	var best int64
	lastGrowth := start
	for first := true; ; first = false {
		n, err := f()
		if err == nil {
			return nil
		}
		now := time.Now()
		if first || n > best {
			best, lastGrowth = n, now
		}
		switch {
		case now.Sub(lastGrowth) > stall:
			return fmt.Errorf("no progress for %s (stuck at %d after %s): %w", stall, best, now.Sub(start).Round(time.Millisecond), err)
		case now.Sub(start) > total:
			return fmt.Errorf("not done within %s although progressing (at %d): %w", total, best, err)
		}
		time.Sleep(interval)
	}
}

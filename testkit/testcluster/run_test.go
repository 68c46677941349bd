package testcluster

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// recorder is a testing.TB that keeps what Run reports and its cleanups.
type recorder struct {
	testing.TB
	errs     []string
	cleanups []func()
}

func (r *recorder) Helper()          {}
func (r *recorder) Cleanup(f func()) { r.cleanups = append(r.cleanups, f) }
func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// TestRun: stop cancels the runner and waits for it once, however often
// it is called (the test's own call and the cleanup's); a runner that
// returns an error, or does not return in time, fails the test.
func TestRun(t *testing.T) {
	r := &recorder{TB: t}
	runs := 0
	stop := Run(r, "thing", time.Minute, func(ctx context.Context) error {
		runs++
		<-ctx.Done()
		return nil
	})
	stop()
	stop()
	for _, c := range r.cleanups {
		c()
	}
	if runs != 1 || len(r.cleanups) != 1 || len(r.errs) != 0 {
		t.Errorf("runs %d, cleanups %d, errors %q: want 1, 1 and none", runs, len(r.cleanups), r.errs)
	}

	r = &recorder{TB: t}
	Run(r, "thing", time.Minute, func(ctx context.Context) error {
		<-ctx.Done()
		return errors.New("boom")
	})()
	if len(r.errs) != 1 || r.errs[0] != "thing stopped with: boom" {
		t.Errorf("errors %q, want the runner's", r.errs)
	}

	r = &recorder{TB: t}
	release := make(chan struct{})
	defer close(release)
	Run(r, "thing", 10*time.Millisecond, func(context.Context) error {
		<-release
		return nil
	})()
	if len(r.errs) != 1 || !strings.Contains(r.errs[0], "thing did not stop within 10ms") {
		t.Errorf("errors %q, want the runner's timeout", r.errs)
	}
}

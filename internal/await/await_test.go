package await

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestProgressWaitsWhileProgressing: work that keeps progressing is waited
// for although it takes many stall intervals; each call of f makes
// progress, so no stall can be seen however slowly the calls come.
func TestProgressWaitsWhileProgressing(t *testing.T) {
	const stall, steps = 5 * time.Millisecond, 40 // 40 intervals of 1ms sleep: > stall
	n := int64(0)
	calls := 0
	Progress(t, stall, time.Hour, time.Millisecond, func() (int64, error) {
		calls++
		n++
		if n < steps {
			return n, fmt.Errorf("at %d of %d", n, steps)
		}
		return n, nil
	})
	if calls != steps {
		t.Fatalf("f called %d times, want %d", calls, steps)
	}
}

// TestProgressFailsWhenStuck: a count that stops growing fails the wait
// once stall has passed, long before total.
func TestProgressFailsWhenStuck(t *testing.T) {
	stuck := errors.New("3 of 10 lines")
	calls := 0
	err := UntilProgress(10*time.Millisecond, time.Hour, time.Millisecond, func() (int64, error) {
		calls++
		if calls <= 3 {
			return int64(calls), stuck // grows, then stops at 3
		}
		return 3, stuck
	})
	if err == nil || !errors.Is(err, stuck) || !strings.Contains(err.Error(), "no progress") || !strings.Contains(err.Error(), "stuck at 3") {
		t.Fatalf("err = %v, want a no-progress error at 3 wrapping %v", err, stuck)
	}
	if calls <= 3 {
		t.Fatalf("gave up after %d calls, before the count stopped", calls)
	}
}

// TestProgressCapped: work that progresses forever but never finishes is
// failed by total.
func TestProgressCapped(t *testing.T) {
	n := int64(0)
	err := UntilProgress(time.Hour, 10*time.Millisecond, time.Millisecond, func() (int64, error) {
		n++
		return n, errors.New("never done")
	})
	if err == nil || !strings.Contains(err.Error(), "not done within") {
		t.Fatalf("err = %v, want the cap's error", err)
	}
}

// TestProgressDoneAtOnce: f done at the first call returns at once.
func TestProgressDoneAtOnce(t *testing.T) {
	calls := 0
	if err := UntilProgress(time.Hour, time.Hour, time.Hour, func() (int64, error) {
		calls++
		return 0, nil
	}); err != nil || calls != 1 {
		t.Fatalf("err = %v after %d calls, want nil after 1", err, calls)
	}
}

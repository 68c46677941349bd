// Package await holds the one helper tests use to wait for a condition
// instead of sleeping: poll a function until it returns nil or time runs out.
package await

import (
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

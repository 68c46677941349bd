package segment

import (
	"errors"
	"testing"
)

// TestRewriteClosed: TruncateTo and Restart refuse a closed log with
// ErrClosed and hold none of its locks afterwards (Close, which takes all
// three, still returns), and refuse a negative offset on an open one.
func TestRewriteClosed(t *testing.T) {
	l := openLog(t, t.TempDir(), Options{})
	appendN(t, l, 10, constTs)
	if err := l.TruncateTo(-1); err == nil {
		t.Fatal("TruncateTo(-1) succeeded")
	}
	if err := l.Restart(-1); err == nil {
		t.Fatal("Restart(-1) succeeded")
	}
	if err := l.Restart(100); err != nil {
		t.Fatal(err)
	}
	if got := l.LogStartOffset(); got != 100 {
		t.Fatalf("log start %d after Restart(100)", got)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.TruncateTo(0); !errors.Is(err, ErrClosed) {
		t.Fatalf("TruncateTo on a closed log: %v, want ErrClosed", err)
	}
	if err := l.Restart(0); !errors.Is(err, ErrClosed) {
		t.Fatalf("Restart on a closed log: %v, want ErrClosed", err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("Close after the refusals: %v", err)
	}
}

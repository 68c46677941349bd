package segment

import (
	"errors"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
)

// TestAppendChecked: AppendChecked takes what CheckBatch accepted, and
// refuses a zero CheckedBatch (one that never went through CheckBatch);
// CheckBatch refuses what ValidateBatch refuses.
func TestAppendChecked(t *testing.T) {
	l := openLog(t, t.TempDir(), Options{})
	if _, _, err := l.AppendChecked(CheckedBatch{}, 0); !errors.Is(err, kerr.CorruptMessage) {
		t.Fatalf("zero CheckedBatch: %v", err)
	}
	bad := makeBatch(t, [][]byte{[]byte("a")}, 1)
	bad[len(bad)-1] ^= 1
	if _, err := CheckBatch(bad); !errors.Is(err, kerr.CorruptMessage) {
		t.Fatalf("CheckBatch of a corrupt batch: %v", err)
	}
	c, err := CheckBatch(BuildBatch([]Record{{Key: []byte("k"), Value: []byte("v")}, {Key: []byte("k")}}, 1))
	if err != nil {
		t.Fatal(err)
	}
	if base, last, err := l.AppendChecked(c, 3); err != nil || base != 0 || last != 1 {
		t.Fatalf("AppendChecked: %d-%d, %v", base, last, err)
	}
	if l.LogEndOffset() != 2 {
		t.Fatalf("log end %d", l.LogEndOffset())
	}
}

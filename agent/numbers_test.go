package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sluicelogs/sluice/internal/jsonnum"
)

// ndjsonEvent decodes line with the ndjson parser and encodes the event
// as the agent sends it.
func ndjsonEvent(t testing.TB, line string) []byte {
	t.Helper()
	in := &input{cfg: &InputConfig{ID: "numbers"}, meta: meta{hostName: "h", agentName: "h", agentID: "id", version: "v"}}
	var err error
	if in.tailJSON, in.rootFieldsJSON, err = in.eventTail(); err != nil {
		t.Fatal(err)
	}
	var got *message
	m := &message{text: []byte(line), at: time.Unix(0, 0)}
	if err := (ndjson{cfg: &NDJSONConfig{}}).push(context.Background(), m, func(_ context.Context, m *message) error {
		got = m
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, failed := got.fields["error"]; failed {
		t.Fatalf("%s: %v", line, got.fields["error"])
	}
	return newEncoder(in, "/var/log/app.ndjson").encode(got, 1<<20)
}

// TestNDJSONKeepsNumbers (issue 17): the numbers of an ndjson line reach
// the agent's event as written; float64 made 9007199254740993 …992 and
// 2.0 2. The indexer's TestNumbersReachBulkBodyAsWritten takes it from
// there.
func TestNDJSONKeepsNumbers(t *testing.T) {
	for _, lit := range []string{"9007199254740993", "-9223372036854775808", "12345678901234567890",
		"2.0", "1e3", "1.5E-7", "0.1", "-0", "1.0e+2"} {
		ev := ndjsonEvent(t, `{"n":`+lit+`,"list":[`+lit+`],"obj":{"n":`+lit+`}}`)
		for _, want := range []string{`,"n":` + lit, `,"list":[` + lit + `]`, `,"obj":{"n":` + lit + `}`} {
			if !bytes.Contains(ev, []byte(want)) {
				t.Errorf("%s: event %s lacks %s", lit, ev, want)
			}
		}
	}
}

// FuzzNDJSONNumbers: a number literal and a string in an ndjson line come
// out in the agent's event exactly as they went in (the string as
// encoding/json quotes it). Seeds in testdata/fuzz/FuzzNDJSONNumbers.
func FuzzNDJSONNumbers(f *testing.F) {
	f.Add("9007199254740993", "text")
	f.Add("2.0", `quote " <html> & ünï`)
	f.Fuzz(func(t *testing.T, lit, s string) {
		if !jsonnum.Valid(json.Number(lit)) || !utf8.ValidString(s) {
			return
		}
		quoted, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		ev := ndjsonEvent(t, `{"n":`+lit+`,"s":`+string(quoted)+`}`)
		for _, want := range []string{`,"n":` + lit, `,"s":` + string(quoted)} {
			if !bytes.Contains(ev, []byte(want)) {
				t.Fatalf("event %s lacks %s", ev, want)
			}
		}
	})
}

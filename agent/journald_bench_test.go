package agent

import (
	"bytes"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/agent/journal"
)

// BenchmarkJournalEntries decodes typical journal entries from an export
// stream and encodes their events: the journald input's work per entry
// short of the producer.
func BenchmarkJournalEntries(b *testing.B) {
	var stream bytes.Buffer
	const n = 1000
	for i := range n {
		fmt.Fprintf(&stream, "__CURSOR=s=0123456789abcdef0123456789abcdef;i=%x;b=0123456789abcdef0123456789abcdef;m=%x;t=%x;x=%x\n", i, i, i, i)
		fmt.Fprintf(&stream, "__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=%d\n_BOOT_ID=0123456789abcdef0123456789abcdef\n", 1700000000000000+i, i)
		fmt.Fprintf(&stream, "_HOSTNAME=host\n_TRANSPORT=syslog\nPRIORITY=6\nSYSLOG_FACILITY=3\nSYSLOG_IDENTIFIER=sshd\n_PID=%d\n_UID=0\n_COMM=sshd\n", 100+i)
		fmt.Fprintf(&stream, "_EXE=/usr/sbin/sshd\n_CMDLINE=sshd: user [priv]\n_SYSTEMD_UNIT=ssh.service\n_SYSTEMD_SLICE=system.slice\n_SYSTEMD_CGROUP=/system.slice/ssh.service\n")
		fmt.Fprintf(&stream, "MESSAGE=Accepted publickey for user from 192.0.2.%d port 50000 ssh2: ED25519 SHA256:abcdefghijklmnopqrstuvwxyz\n\n", i%256)
	}
	cfg := &InputConfig{ID: "j", Type: "journald"}
	in := &input{cfg: cfg, meta: meta{hostName: "h", agentName: "a", agentID: "id", version: "v"}}
	in.tailJSON, in.rootFieldsJSON, _ = in.eventTail()
	var buf []byte
	b.SetBytes(int64(stream.Len() / n))
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; {
		r := journal.NewReader(bytes.NewReader(stream.Bytes()), 0)
		for ; done < b.N; done++ {
			e, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			buf = in.encodeJournal(buf, newJournalEvent(e, time.Time{}), 1<<20)
		}
	}
}

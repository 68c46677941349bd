package agent

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/agent/journal"
	"github.com/sluicelogs/sluice/agent/journalfile"
	"github.com/sluicelogs/sluice/testkit/journaltest"
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
	enc := journalEncoder{custom: map[string]string{}}
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
			enc.buf = in.encodeJournal(enc.buf, enc.ev.fill(e, time.Time{}, enc.custom), 1<<20)
		}
	}
}

// BenchmarkJournalNative reads typical entries from a journal file
// systemd-journal-remote wrote and encodes their events: the native
// reader's work per entry short of the producer.
func BenchmarkJournalNative(b *testing.B) {
	if err := journaltest.Tools(); err != nil {
		b.Fatal(err)
	}
	var export bytes.Buffer
	const n = 20000
	for i := range n {
		fmt.Fprintf(&export, "__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=%d\n_BOOT_ID=0123456789abcdef0123456789abcdef\n", 1700000000000000+i, i)
		fmt.Fprintf(&export, "_HOSTNAME=host\n_TRANSPORT=syslog\nPRIORITY=6\nSYSLOG_FACILITY=3\nSYSLOG_IDENTIFIER=sshd\n_PID=%d\n_UID=0\n_COMM=sshd\n", 100+i%1000)
		fmt.Fprintf(&export, "_EXE=/usr/sbin/sshd\n_CMDLINE=sshd: user [priv]\n_SYSTEMD_UNIT=ssh.service\n_SYSTEMD_SLICE=system.slice\n_SYSTEMD_CGROUP=/system.slice/ssh.service\n")
		fmt.Fprintf(&export, "MESSAGE=Accepted publickey for user from 192.0.2.%d port %d ssh2: ED25519 SHA256:abcdefghijklmnopqrstuvwxyz\n\n", i%256, i)
	}
	dir := b.TempDir()
	if err := journaltest.Write(context.Background(), filepath.Join(dir, "b.journal"), &export); err != nil {
		b.Fatal(err)
	}
	cfg := &InputConfig{ID: "j", Type: "journald"}
	in := &input{cfg: cfg, meta: meta{hostName: "h", agentName: "a", agentID: "id", version: "v"}}
	in.tailJSON, in.rootFieldsJSON, _ = in.eventTail()
	var conv nativeEntry
	enc := journalEncoder{custom: map[string]string{}}
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; {
		jr, err := journalfile.OpenJournal([]string{dir}, journalfile.Options{}, b.Logf)
		if err != nil {
			b.Fatal(err)
		}
		for ; done < b.N; done++ {
			e, err := jr.Next()
			if err != nil {
				b.Fatal(err)
			}
			if e == nil {
				break
			}
			enc.buf = in.encodeJournal(enc.buf, enc.ev.fill(conv.entry(e, 0), time.Time{}, enc.custom), 1<<20)
		}
		jr.Close()
	}
}

package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sluicelogs/sluice/internal/await"
	"github.com/sluicelogs/sluice/testkit/testcluster"
)

// openPTY opens a pseudo-terminal pair: the controlling side (what a
// terminal emulator holds) and the terminal itself. Both close at cleanup.
func openPTY(t *testing.T) (ctl, tty *os.File) {
	t.Helper()
	ctl, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open /dev/ptmx: %v", err)
	}
	t.Cleanup(func() { ctl.Close() })
	n, err := unix.IoctlGetInt(int(ctl.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("TIOCGPTN: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(ctl.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlock pty: %v", err)
	}
	tty, err = os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open pts %d: %v", n, err)
	}
	t.Cleanup(func() { tty.Close() })
	return ctl, tty
}

// screen collects what a program writes to its terminal.
type screen struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *screen) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// TestConsoleProducerPrompt: on a terminal, `console-producer --broker-list`
// (Kafka 2.x's spelling) prompts with ">" before each line as Kafka's does,
// and Ctrl-D ends it; the typed line is produced. Piped, it prints nothing
// (TestKafkaCLI's console-producer step).
func TestConsoleProducerPrompt(t *testing.T) {
	b := testcluster.StartBroker(t, 1, testcluster.Coordinator(t), "")
	testcluster.CreateTopic(t, b.Addr(), "typed", 1)
	ctl, tty := openPTY(t)
	var scr screen
	copied := make(chan struct{})
	go func() { // ends when the terminal side is closed at cleanup
		defer close(copied)
		buf := make([]byte, 4096)
		for {
			n, err := ctl.Read(buf)
			scr.Write(buf[:n])
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { tty.Close(); <-copied }) // a read of ctl returns EIO once tty is closed

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	done := make(chan int, 1)
	var errOut bytes.Buffer
	go func() {
		done <- run(ctx, &env{stdin: tty, stdout: tty, stderr: &errOut},
			[]string{"console-producer", "--broker-list", b.Addr(), "--topic", "typed"})
	}()
	wait := func(want string) {
		t.Helper()
		await.Eventually(t, time.Minute, 10*time.Millisecond, func() error {
			if got := scr.String(); got != want {
				return fmt.Errorf("terminal shows %q, want %q", got, want)
			}
			return nil
		})
	}
	wait(">")
	if _, err := ctl.WriteString("hello\n"); err != nil {
		t.Fatal(err)
	}
	wait(">hello\r\n>")                             // the terminal's echo, then the next prompt
	if _, err := ctl.Write([]byte{4}); err != nil { // Ctrl-D: end of input
		t.Fatal(err)
	}
	if code := <-done; code != 0 {
		t.Fatalf("console-producer exited %d: %s", code, errOut.String())
	}
	out := kafkaCLIOK(t, "", "console-consumer", "--bootstrap-server", b.Addr(), "--topic", "typed", "--from-beginning", "--max-messages", "1")
	if out != "hello\n" {
		t.Fatalf("consumed %q, want the typed line", out)
	}
}

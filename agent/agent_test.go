package agent_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/internal/await"
)

func TestShipsLines(t *testing.T) {
	b := startBroker(t)
	logs, reg := t.TempDir(), t.TempDir()
	f, err := os.Create(filepath.Join(logs, "app.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for i := range 100 {
		fmt.Fprintf(f, "line %d\n", i)
	}
	startAgent(t, parseConfig(t, agentYAML(logs, reg, b.Addr(), "logs", "")))
	c := consume(t, b.Addr(), "logs")
	await.Eventually(t, 20*time.Second, 50*time.Millisecond, func() error {
		if n := c.count(); n != 100 {
			return fmt.Errorf("%d events", n)
		}
		return nil
	})
	evs, _ := c.snapshot()
	t.Logf("%+v", evs[0].Raw)
}

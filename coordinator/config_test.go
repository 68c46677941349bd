package coordinator

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeCfg(t *testing.T, text string, myid string) string {
	t.Helper()
	dir := t.TempDir()
	text = strings.ReplaceAll(text, "DATADIR", dir)
	path := filepath.Join(dir, "zoo.cfg")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	if myid != "" {
		if err := os.WriteFile(filepath.Join(dir, "myid"), []byte(myid), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

func TestConfigEnsemble(t *testing.T) {
	path := writeCfg(t, `tickTime=1000
initLimit=10
syncLimit=5
dataDir=DATADIR
clientPort=2181
maxClientCnxns=100
autopurge.snapRetainCount=5
autopurge.purgeInterval=1
4lw.commands.whitelist=ruok, srvr,mntr
server.1=h1:2888:3888
server.2=h2:2888:3888:participant
server.3=h3:2888:3888
server.4=h4:2888:3888:observer;127.0.0.1:2184
someFutureKey=1
`, "2\n")
	c, warnings, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.TickTime != time.Second || c.InitLimit != 10 || c.SyncLimit != 5 || c.MaxClientCnxns != 100 || c.SnapRetainCount != 5 || c.PurgeInterval != time.Hour {
		t.Fatalf("config = %+v", c)
	}
	if c.MinSessionTimeout != 2*time.Second || c.MaxSessionTimeout != 20*time.Second {
		t.Fatalf("session timeouts %v..%v", c.MinSessionTimeout, c.MaxSessionTimeout)
	}
	if c.MyID != 2 || c.Standalone() || len(c.Servers) != 4 {
		t.Fatalf("myid %d, servers %v", c.MyID, c.Servers)
	}
	if m := c.Servers[4]; !m.Observer || m.ClientAddr != "127.0.0.1:2184" || m.PeerAddr() != "h4:2888" {
		t.Fatalf("server.4 = %+v", m)
	}
	if !c.FourLetterWords["srvr"] || c.FourLetterWords["dump"] {
		t.Fatalf("4lw = %v", c.FourLetterWords)
	}
	if len(warnings) != 1 || warnings[0].Key != "someFutureKey" || warnings[0].Line != 14 {
		t.Fatalf("warnings = %v", warnings)
	}
}

func TestConfigStandaloneDefaults(t *testing.T) {
	c, _, err := LoadConfig(writeCfg(t, "dataDir=DATADIR\n", ""))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Standalone() || c.TickTime != 2*time.Second || c.ClientAddr != "0.0.0.0:2181" || c.SnapRetainCount != 3 || c.PurgeInterval != 0 {
		t.Fatalf("defaults = %+v", c)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name, text, myid, want string
	}{
		{"bad tick", "dataDir=DATADIR\ntickTime=fast\n", "", `zoo.cfg:2: tickTime: "fast" is not an integer`},
		{"negative port", "dataDir=DATADIR\nclientPort=-1\n", "", "zoo.cfg:2: clientPort: must be positive, got -1"},
		{"no dataDir", "clientPort=2181\n", "", "zoo.cfg: dataDir: is required"},
		{"bad server line", "dataDir=DATADIR\nserver.1=h1:2888\n", "1", `zoo.cfg:2: server.1: "h1:2888" is not host:peerPort:electionPort[:observer|:participant]`},
		{"bad role", "dataDir=DATADIR\nserver.1=h1:2888:3888:boss\n", "1", `zoo.cfg:2: server.1: role "boss" is not observer or participant`},
		{"bad 4lw", "dataDir=DATADIR\n4lw.commands.whitelist=ruok,status\n", "", `zoo.cfg:2: 4lw.commands.whitelist: "status" is not a four-letter word`},
		{"myid missing", "dataDir=DATADIR\nserver.1=h1:2888:3888\n", "", "myid: an ensemble member needs its id here"},
		{"myid unknown", "dataDir=DATADIR\nserver.1=h1:2888:3888\n", "7", "myid:1: id 7 has no server.7 line in"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := LoadConfig(writeCfg(t, tc.text, tc.myid))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

package coordinator

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
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
maxCnxns=500
largeRequestMaxBytes=52428800
largeRequestThreshold=-1
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
	if c.TickTime != time.Second || c.InitLimit != 10 || c.SyncLimit != 5 || c.MaxClientCnxns != 100 || c.MaxCnxns != 500 || c.SnapRetainCount != 5 || c.PurgeInterval != time.Hour {
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
	if c.LargeRequestMaxBytes != 50<<20 || c.LargeRequestThreshold != -1 {
		t.Fatalf("largeRequestMaxBytes %d, largeRequestThreshold %d", c.LargeRequestMaxBytes, c.LargeRequestThreshold)
	}
	if len(warnings) != 1 || warnings[0].Key != "someFutureKey" || warnings[0].Line != 17 {
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
		{"bad largeRequestMaxBytes", "dataDir=DATADIR\nlargeRequestMaxBytes=100MB\n", "", `zoo.cfg:2: largeRequestMaxBytes: "100MB" is not an integer`},
		{"bad drop increase", "dataDir=DATADIR\nconnection_throttle_drop_increase=lots\n", "", `zoo.cfg:2: connection_throttle_drop_increase: "lots" is not a number`},
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

// TestConfigDefaults: Defaults is what a zoo.cfg with only dataDir loads
// as, and with dataDir it passes Validate.
func TestConfigDefaults(t *testing.T) {
	path := writeCfg(t, "dataDir=DATADIR\n", "")
	loaded, warnings, err := LoadConfig(path)
	if err != nil || len(warnings) > 0 {
		t.Fatal(err, warnings)
	}
	want := Defaults()
	want.File, want.DataDir = path, filepath.Dir(path)
	if !reflect.DeepEqual(*loaded, want) {
		t.Fatalf("loaded\n%+v\nDefaults\n%+v", *loaded, want)
	}
	if err := want.Validate(); err != nil {
		t.Fatal(err)
	}
}

// ensembleConfig is member 2 of a valid three-member ensemble built in code.
func ensembleConfig() Config {
	c := Defaults()
	c.DataDir = "/data"
	c.MyID = 2
	c.Servers = map[uint64]Member{}
	for id := uint64(1); id <= 3; id++ {
		c.Servers[id] = Member{ID: id, Host: fmt.Sprintf("h%d", id), PeerPort: 2888, ElectionPort: 3888}
	}
	return c
}

// TestConfigValidate: every rule of Validate, with the key it names.
func TestConfigValidate(t *testing.T) {
	if c := ensembleConfig(); c.Validate() != nil {
		t.Fatal(c.Validate())
	}
	member := func(id uint64, f func(*Member)) func(*Config) {
		return func(c *Config) {
			m := c.Servers[id]
			f(&m)
			c.Servers[id] = m
		}
	}
	for _, tc := range []struct {
		name, want string
		mutate     func(*Config)
	}{
		{"tickTime", "tickTime: must be positive, got 0", func(c *Config) { c.TickTime = 0 }},
		{"initLimit", "initLimit: must be positive, got 0", func(c *Config) { c.InitLimit = 0 }},
		{"syncLimit", "syncLimit: must be positive, got -1", func(c *Config) { c.SyncLimit = -1 }},
		{"dataDir", "dataDir: is required", func(c *Config) { c.DataDir = "" }},
		{"clientPort negative", "clientPort: must be positive, got -1 (or 0 for a free port)", func(c *Config) { c.ClientAddr = "0.0.0.0:-1" }},
		{"clientPort too big", "clientPort: must be at most 65535, got 70000", func(c *Config) { c.ClientAddr = "0.0.0.0:70000" }},
		{"client address", `clientPort: "localhost" is not host:port: address localhost: missing port in address`, func(c *Config) { c.ClientAddr = "localhost" }},
		{"maxClientCnxns", "maxClientCnxns: must not be negative, got -1", func(c *Config) { c.MaxClientCnxns = -1 }},
		{"maxCnxns", "maxCnxns: must not be negative, got -1", func(c *Config) { c.MaxCnxns = -1 }},
		{"purgeInterval", "autopurge.purgeInterval: must not be negative, got -2", func(c *Config) { c.PurgeInterval = -2 * time.Hour }},
		{"snapRetainCount", "autopurge.snapRetainCount: must be at least 3, got 2", func(c *Config) { c.SnapRetainCount = 2 }},
		{"snapCount", "snapCount: must be at least 2, got 1", func(c *Config) { c.SnapCount = 1 }},
		{"session bounds", "minSessionTimeout: 5000 is above maxSessionTimeout 4000", func(c *Config) { c.MinSessionTimeout, c.MaxSessionTimeout = 5*time.Second, 4*time.Second }},
		{"largeRequestMaxBytes", "largeRequestMaxBytes: must be from 1 to 2147483647, got 0", func(c *Config) { c.LargeRequestMaxBytes = 0 }},
		{"largeRequestMaxBytes above int32", "largeRequestMaxBytes: must be from 1 to 2147483647, got 2147483648", func(c *Config) { c.LargeRequestMaxBytes = 1 << 31 }},
		{"largeRequestThreshold 0", "largeRequestThreshold: must be -1 (no request is large) or from 1 to 2147483647, got 0", func(c *Config) { c.LargeRequestThreshold = 0 }},
		{"largeRequestThreshold -2", "largeRequestThreshold: must be -1 (no request is large) or from 1 to 2147483647, got -2", func(c *Config) { c.LargeRequestThreshold = -2 }},
		{"connection_throttle_tokens", "connection_throttle_tokens: must not be negative (0 turns the throttle off), got -1", func(c *Config) { c.ConnThrottleTokens = -1 }},
		{"connection_throttle_fill_time", "connection_throttle_fill_time: must be at least 1 (ms), got 0", func(c *Config) { c.ConnThrottleFillTime = 0 }},
		{"connection_throttle_fill_count", "connection_throttle_fill_count: must be at least 1, got 0", func(c *Config) { c.ConnThrottleFillCount = 0 }},
		{"connection_throttle_freeze_time", "connection_throttle_freeze_time: must be -1 (no random drops) or at least 0 (ms), got -2", func(c *Config) { c.ConnThrottleFreezeTime = -2 * time.Millisecond }},
		{"connection_throttle_decrease_ratio", "connection_throttle_decrease_ratio: must be from 0 to 1, got 1.5", func(c *Config) { c.ConnThrottleDecreaseRatio = 1.5 }},
		{"4lw", `4lw.commands.whitelist: "status" is not a four-letter word`, func(c *Config) { c.FourLetterWords["status"] = true }},
		{"peerType", `peerType: "boss" is not participant or observer`, func(c *Config) { c.PeerType = "boss" }},
		{"metrics port", `metricsProvider.httpPort: "x" is not a port number`, func(c *Config) { c.MetricsAddr = "0.0.0.0:x" }},
		{"member id", "server.300: the member id must be a number from 1 to 255", func(c *Config) { c.Servers[300] = Member{ID: 300, Host: "h", PeerPort: 1, ElectionPort: 2} }},
		{"member id mismatch", "server.3: the member id must be a number from 1 to 255", member(3, func(m *Member) { m.ID = 4 })},
		{"peer port", `server.1: peer port "0" is not a port number`, member(1, func(m *Member) { m.PeerPort = 0 })},
		{"election port", `server.1: election port "70000" is not a port number`, member(1, func(m *Member) { m.ElectionPort = 70000 })},
		{"member client port", `server.1: client port "0" is not a port number`, member(1, func(m *Member) { m.ClientAddr = "h:0" })},
		{"myid", "myid: id 7 has no server.7 line", func(c *Config) { c.MyID = 7 }},
		{"observer", "peerType: observer, but server.2 does not say :observer", func(c *Config) { c.PeerType = "observer" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ensembleConfig()
			tc.mutate(&c)
			if err := c.Validate(); err == nil || err.Error() != tc.want {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

// TestConfigRenderRoundTrip: loading Render's text (with MyID in
// dataDir/myid) gives the Config back.
func TestConfigRenderRoundTrip(t *testing.T) {
	full := ensembleConfig()
	full.TickTime, full.InitLimit, full.SyncLimit = 200*time.Millisecond, 20, 10
	full.DataLogDir, full.ClientAddr, full.MaxClientCnxns = "/log", "127.0.0.1:0", 0
	full.SnapRetainCount, full.SnapCount, full.PurgeInterval = 5, 50, 2*time.Hour
	full.MaxCnxns = 1000
	full.LargeRequestMaxBytes, full.LargeRequestThreshold = 64<<20, -1
	full.MinSessionTimeout, full.MaxSessionTimeout = time.Second, time.Minute
	full.ConnThrottleTokens, full.ConnThrottleFillTime, full.ConnThrottleFillCount = 100, 50*time.Millisecond, 5
	full.ConnThrottleFreezeTime, full.ConnThrottleDropIncrease, full.ConnThrottleDropDecrease, full.ConnThrottleDecreaseRatio = 0, 0.1, 0.01, 0.25
	full.FourLetterWords = map[string]bool{"ruok": true, "dump": true}
	full.MetricsAddr = "127.0.0.1:7000"
	full.PeerType = "observer"
	full.SSLQuorum, full.QuorumKeyStore, full.QuorumKeyStoreType, full.QuorumTrustStore = true, "/tls/member.pem", "PEM", "/tls/ca.pem"
	full.QuorumKeyStorePassword, full.QuorumTrustStorePassword, full.QuorumHostnameVerification = "", "ignored", false
	full.Servers[2] = Member{ID: 2, Host: "h2", PeerPort: 2888, ElectionPort: 3888, Observer: true, ClientAddr: "0.0.0.0:2182"}
	full.Servers[4] = Member{ID: 4, Host: "h4", PeerPort: 2889, ElectionPort: 3889, ClientAddr: "[::1]:2184"}
	standalone := Defaults()
	standalone.TickTime = 500 * time.Millisecond // moves the session bounds with it
	standalone.MinSessionTimeout, standalone.MaxSessionTimeout = time.Second, 10*time.Second
	noWords := Defaults()
	noWords.FourLetterWords = map[string]bool{}

	for name, c := range map[string]Config{"defaults": Defaults(), "ensemble": ensembleConfig(), "full": full, "standalone": standalone, "no words": noWords} {
		t.Run(name, func(t *testing.T) {
			c.DataDir = t.TempDir()
			if c.MyID != 0 {
				if err := os.WriteFile(filepath.Join(c.DataDir, "myid"), []byte(fmt.Sprint(c.MyID)), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			c.File = filepath.Join(c.DataDir, "zoo.cfg")
			if err := os.WriteFile(c.File, c.Render(), 0o644); err != nil {
				t.Fatal(err)
			}
			loaded, warnings, err := LoadConfig(c.File)
			if err != nil || len(warnings) > 0 {
				t.Fatalf("%s\n%v %v", c.Render(), err, warnings)
			}
			if !reflect.DeepEqual(*loaded, c) {
				t.Fatalf("rendered\n%s\nloaded  %+v\nwant    %+v", c.Render(), *loaded, c)
			}
		})
	}
}

// TestConfigErrorsAtLines: Validate's errors about a loaded file name the
// line of their key, or the file when the key is not in it.
func TestConfigErrorsAtLines(t *testing.T) {
	for _, tc := range []struct {
		name, text, myid, want string
	}{
		{"range", "dataDir=DATADIR\nsnapCount=1\nmaxClientCnxns=-3\n", "", "zoo.cfg:3: maxClientCnxns: must not be negative, got -3\nzoo.cfg:2: snapCount: must be at least 2, got 1"},
		{"cross keys", "dataDir=DATADIR\nmaxSessionTimeout=100\n", "", "zoo.cfg: minSessionTimeout: 4000 is above maxSessionTimeout 100"},
		{"member", "dataDir=DATADIR\nserver.0=h:1:2\nserver.1=h:3:4\n", "1", "zoo.cfg:2: server.0: the member id must be a number from 1 to 255"},
		{"observer", "dataDir=DATADIR\npeerType=observer\nserver.1=h:1:2\n", "1", "zoo.cfg:2: peerType: observer, but server.1 does not say :observer"},
		{"metrics", "dataDir=DATADIR\nmetricsProvider.httpPort=web\n", "", `zoo.cfg:2: metricsProvider.httpPort: "web" is not a port number`},
		{"connection throttle", "dataDir=DATADIR\nconnection_throttle_tokens=10\nconnection_throttle_fill_time=0\nconnection_throttle_drop_decrease=2\n", "", "zoo.cfg:3: connection_throttle_fill_time: must be at least 1 (ms), got 0\nzoo.cfg:4: connection_throttle_drop_decrease: must be from 0 to 1, got 2"},
		{"large requests", "dataDir=DATADIR\nlargeRequestThreshold=0\nlargeRequestMaxBytes=-5\n", "", "zoo.cfg:3: largeRequestMaxBytes: must be from 1 to 2147483647, got -5\nzoo.cfg:2: largeRequestThreshold: must be -1 (no request is large) or from 1 to 2147483647, got 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeCfg(t, tc.text, tc.myid)
			_, _, err := LoadConfig(path)
			want := strings.ReplaceAll(tc.want, "zoo.cfg", path)
			if err == nil || err.Error() != want {
				t.Fatalf("error\n%v\nwant\n%s", err, want)
			}
		})
	}
}

// TestConfigQuorumTLSErrors: with sslQuorum=true both stores are required,
// and a store that is not PEM (by its type key or by its extension) is an
// error naming the file, line and key, and saying what to do.
func TestConfigQuorumTLSErrors(t *testing.T) {
	path := writeCfg(t, "dataDir=DATADIR\nsslQuorum=true\nssl.quorum.keyStore.location=/tls/member.jks\nssl.quorum.trustStore.location=/tls/ca.p12\nssl.quorum.trustStore.type=PKCS12\n", "")
	_, _, err := LoadConfig(path)
	for _, want := range []string{
		path + ":3: ssl.quorum.keyStore.location: JKS stores are not supported, only PEM",
		path + ":5: ssl.quorum.trustStore.type: PKCS12 stores are not supported, only PEM",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("error\n%v\nwant it to contain\n%s", err, want)
		}
	}
	path = writeCfg(t, "dataDir=DATADIR\nsslQuorum=true\n", "")
	_, _, err = LoadConfig(path)
	for _, want := range []string{
		path + ": ssl.quorum.keyStore.location: is required with sslQuorum=true",
		path + ": ssl.quorum.trustStore.location: is required with sslQuorum=true",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("error\n%v\nwant it to contain\n%s", err, want)
		}
	}
	cfg := Defaults()
	cfg.SSLQuorum, cfg.QuorumKeyStore, cfg.QuorumTrustStore, cfg.DataDir = true, "/tls/member.pem", "/tls/ca.pem", t.TempDir()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("PEM stores by extension: %v", err)
	}
}

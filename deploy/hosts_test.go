package deploy_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicelogs/sluice/broker"
	"github.com/sluicelogs/sluice/coordinator"
	"github.com/sluicelogs/sluice/internal/pemtls"
)

// TestHostsConfigsLoad: every host's server.properties and zoo.cfg in
// deploy/hosts (plaintext) and deploy/hosts/sasl_ssl (SASL_SSL, TLS to
// and between coordinator members) loads with no error and no warning,
// with the certificates its README says to make (sluice certs --node
// hN=hN … --client broker) in place of /etc/sluice/certs and its myid in
// its dataDir.
func TestHostsConfigsLoad(t *testing.T) {
	certs := t.TempDir()
	ca, err := pemtls.NewCA("hosts test CA", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) {
		if err := os.WriteFile(filepath.Join(certs, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("ca.pem", ca.PEM())
	for _, name := range []string{"h1", "h2", "h3", "broker"} {
		c, err := ca.Issue(name, []string{name}, time.Time{}, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		write(name+".pem", c.KeyStore())
	}
	for _, set := range []string{"hosts", "hosts/sasl_ssl"} {
		for _, h := range []string{"h1", "h2", "h3"} {
			dir := filepath.Join(set, h)
			t.Run(dir, func(t *testing.T) {
				// The member's dataDir with its myid, as the README has
				// the operator copy it.
				data := t.TempDir()
				id, err := os.ReadFile(filepath.Join(dir, "myid"))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(data, "myid"), id, 0o600); err != nil {
					t.Fatal(err)
				}
				paths := strings.NewReplacer("/etc/sluice/certs", certs, "/var/lib/sluice/coordinator", data)
				for _, file := range []string{"server.properties", "zoo.cfg"} {
					b, err := os.ReadFile(filepath.Join(dir, file))
					if err != nil {
						t.Fatal(err)
					}
					path := filepath.Join(t.TempDir(), file)
					if err := os.WriteFile(path, []byte(paths.Replace(string(b))), 0o600); err != nil {
						t.Fatal(err)
					}
					var warnings []string
					if file == "zoo.cfg" {
						_, ws, err := coordinator.LoadConfig(path)
						if err != nil {
							t.Fatalf("%s: %v", filepath.Join(dir, file), err)
						}
						for _, w := range ws {
							warnings = append(warnings, w.Error())
						}
					} else {
						_, ws, err := broker.LoadConfig(path)
						if err != nil {
							t.Fatalf("%s: %v", filepath.Join(dir, file), err)
						}
						for _, w := range ws {
							warnings = append(warnings, w.Error())
						}
					}
					if len(warnings) > 0 {
						t.Errorf("%s: warnings %v", filepath.Join(dir, file), warnings)
					}
				}
			})
		}
	}
}

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sluicelogs/sluice/internal/pemtls"
)

// runCerts is `sluice certs`: a CA and node (and client) certificates in
// a folder, as PEM key stores that brokers (ssl.keystore.type=PEM), the
// coordinator and Kafka 2.7+ clients read, and the server.properties and
// client lines that use them. The CA's private key is not kept: to add a
// node later, make a new folder (and trust both CAs) or use your own CA.
func runCerts(_ context.Context, e *env, args []string) error {
	fset := flag.NewFlagSet("sluice certs", flag.ContinueOnError)
	fset.SetOutput(e.stderr)
	dir := fset.String("dir", "", "folder to write ca.pem and one NAME.pem per node and client into (created; existing files are never replaced); required")
	var nodes, clients listFlag
	fset.Var(&nodes, "node", "a node certificate, NAME=HOST[,HOST…]: the host names and IP addresses clients reach it at (repeatable; default localhost=localhost,127.0.0.1)")
	fset.Var(&clients, "client", "a client certificate for NAME (its principal is User:CN=NAME) (repeatable)")
	days := fset.Int("days", 365, "days the CA and the certificates are valid")
	if err := parseFlags(fset, args); err != nil {
		return err
	}
	if fset.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %v", fset.Args())
	}
	if *dir == "" {
		return errors.New("--dir is required")
	}
	if *days < 1 {
		return fmt.Errorf("--days %d: want at least 1", *days)
	}
	if len(nodes) == 0 {
		nodes = listFlag{"localhost=localhost,127.0.0.1"}
	}
	type cert struct {
		name  string
		hosts []string
	}
	var certs []cert
	for _, n := range nodes {
		name, hosts, ok := strings.Cut(n, "=")
		if !ok || name == "" || hosts == "" || strings.ContainsAny(name, `/\`) {
			return fmt.Errorf("--node %q: want NAME=HOST[,HOST…]", n)
		}
		certs = append(certs, cert{name, strings.Split(hosts, ",")})
	}
	for _, c := range clients {
		if c == "" || strings.ContainsAny(c, `/\=`) {
			return fmt.Errorf("--client %q: want a name", c)
		}
		certs = append(certs, cert{name: c})
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return err
	}
	valid := time.Duration(*days) * 24 * time.Hour
	ca, err := pemtls.NewCA("sluice CA", valid)
	if err != nil {
		return err
	}
	caFile := filepath.Join(*dir, "ca.pem")
	if err := writeNew(caFile, ca.PEM(), 0o644); err != nil {
		return err
	}
	now := time.Now()
	var stores []string
	for _, c := range certs {
		issued, err := ca.Issue(c.name, c.hosts, now.Add(-time.Hour), now.Add(valid))
		if err != nil {
			return err
		}
		path := filepath.Join(*dir, c.name+".pem")
		if err := writeNew(path, issued.KeyStore(), 0o600); err != nil {
			return err
		}
		stores = append(stores, path)
	}
	absCA, _ := filepath.Abs(caFile)
	fmt.Fprintf(e.stdout, "# CA: %s (give it to every client as its trust store)\n", absCA)
	for i, c := range certs {
		abs, _ := filepath.Abs(stores[i])
		if c.hosts == nil {
			fmt.Fprintf(e.stdout, "\n# client %s (principal User:CN=%s): client.properties\nsecurity.protocol=SSL\nssl.truststore.type=PEM\nssl.truststore.location=%s\nssl.keystore.type=PEM\nssl.keystore.location=%s\n", c.name, c.name, absCA, abs)
			continue
		}
		fmt.Fprintf(e.stdout, "\n# node %s (%s): server.properties\nlisteners=PLAINTEXT://:9092,SSL://:9093\n", c.name, strings.Join(c.hosts, ", "))
		fmt.Fprintf(e.stdout, "advertised.listeners=PLAINTEXT://%s:9092,SSL://%s:9093\n", c.hosts[0], c.hosts[0])
		fmt.Fprintf(e.stdout, "#inter.broker.listener.name=SSL\n#ssl.client.auth=required\nssl.keystore.type=PEM\nssl.keystore.location=%s\nssl.truststore.type=PEM\nssl.truststore.location=%s\n", abs, absCA)
	}
	fmt.Fprintf(e.stdout, "\n# clients without a certificate: client.properties\nsecurity.protocol=SSL\nssl.truststore.type=PEM\nssl.truststore.location=%s\n", absCA)
	return nil
}

// writeNew writes a file that must not exist yet: a CA or key is never
// replaced behind an operator's back.
func writeNew(path string, b []byte, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s exists: not replacing it (choose another --dir)", path)
	}
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

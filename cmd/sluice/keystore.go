package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/sluicelogs/sluice/internal/keystore"
)

// runKeystore manages the keystore that agent.yml and indexer.yml read
// ${NAME} references from (their keystore.path), as `filebeat keystore`:
//
//	sluice keystore create [--force] [--path P]
//	sluice keystore add NAME [--stdin] [--force] [--path P]
//	sluice keystore list [--path P]
//	sluice keystore remove NAME… [--path P]
//
// add reads the value from standard input (one line, or everything with
// --stdin, less a final newline); it never takes it as an argument, which
// would leave it in the shell's history and the process list.
func runKeystore(_ context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("keystore", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	path := fs.String("path", keystore.DefaultPath, "the keystore file (agent.yml's and indexer.yml's keystore.path)")
	force := fs.Bool("force", false, "create: replace a keystore already there; add: replace a value already there")
	stdin := fs.Bool("stdin", false, "add: read the value from all of standard input rather than its first line")
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: sluice keystore create|add NAME|list|remove NAME… [--path %s]\n", keystore.DefaultPath)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errors.New("a subcommand is needed: create, add, list or remove")
	}
	sub, names := fs.Arg(0), fs.Args()[1:]
	want := func(n int) error {
		if (n >= 0 && len(names) != n) || (n < 0 && len(names) == 0) {
			return fmt.Errorf("%s: unexpected arguments %q", sub, names)
		}
		return nil
	}
	switch sub {
	case "create":
		if err := want(0); err != nil {
			return err
		}
		if _, err := keystore.Create(*path, *force); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "Created keystore %s\n", *path)
		return nil
	case "add":
		if err := want(1); err != nil {
			return errors.New("add: give one NAME; the value is read from standard input")
		}
		ks, err := keystore.Open(*path)
		if err != nil {
			return err
		}
		value, err := readSecret(e.stdin, *stdin)
		if err != nil {
			return err
		}
		if err := ks.Add(names[0], value, *force); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "Added %s to %s\n", names[0], *path)
		return nil
	case "list":
		if err := want(0); err != nil {
			return err
		}
		ks, err := keystore.Open(*path)
		if err != nil {
			return err
		}
		for _, n := range ks.Names() {
			fmt.Fprintln(e.stdout, n)
		}
		return nil
	case "remove":
		if err := want(-1); err != nil {
			return errors.New("remove: give the NAMEs to remove")
		}
		ks, err := keystore.Open(*path)
		if err != nil {
			return err
		}
		return ks.Remove(names...)
	default:
		fs.Usage()
		return fmt.Errorf("unknown subcommand %q: want create, add, list or remove", sub)
	}
}

// readSecret reads a value from r: its first line, or all of it.
func readSecret(r io.Reader, all bool) (string, error) {
	if r == nil {
		return "", errors.New("add: no value on standard input")
	}
	var v string
	if all {
		b, err := io.ReadAll(r)
		if err != nil {
			return "", fmt.Errorf("add: reading standard input: %w", err)
		}
		v = strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
	} else {
		line, err := bufio.NewReader(r).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("add: reading standard input: %w", err)
		}
		v = strings.TrimRight(line, "\r\n")
	}
	if v == "" {
		return "", errors.New("add: the value read from standard input is empty")
	}
	return v, nil
}

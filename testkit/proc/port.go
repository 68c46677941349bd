package proc

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// FreePort returns a TCP port on 127.0.0.1 that is free and stays reserved
// for this process until it exits.
//
// Probing a port with a listen on port 0 and closing it again is a race:
// the kernel hands out the same ephemeral range to every listen on port 0
// and every outgoing connection, so under a parallel `go test ./...` another
// package's client often takes the port before the test's server binds it
// ("bind: address already in use"). FreePort therefore picks ports below the
// kernel's ephemeral range, which the kernel never hands out by itself, and
// reserves each with an flock on a file named for it in a directory every
// test process shares, so two test processes never pick the same one. The
// lock's descriptor is opened without an *os.File (no finalizer closes it)
// and left open: the kernel drops the lock when the process ends, however it
// ends.
func FreePort() (int, error) {
	lo, hi := reservablePorts()
	if lo >= hi {
		return probePort()
	}
	dir := filepath.Join(os.TempDir(), "sluice-test-ports")
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	for range 200 {
		port := lo + rand.IntN(hi-lo)
		ok, err := reserve(dir, port)
		if err != nil {
			return 0, fmt.Errorf("free port: %w", err)
		}
		if ok {
			return port, nil
		}
	}
	return 0, errors.New("free port: 200 ports tried below the ephemeral range, none free")
}

// reserve locks port's file in dir and checks that the port can be bound;
// it reports false, holding nothing, if another process holds the lock or
// the port is in use.
func reserve(dir string, port int) (bool, error) {
	fd, err := syscall.Open(filepath.Join(dir, strconv.Itoa(port)), syscall.O_CREAT|syscall.O_RDWR|syscall.O_CLOEXEC, 0o666)
	if err != nil {
		return false, err
	}
	if err := syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		syscall.Close(fd)
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return false, nil
		}
		return false, err
	}
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		syscall.Close(fd)
		return false, nil
	}
	l.Close()
	return true, nil // fd stays open: the reservation
}

// reservablePorts is the range FreePort picks from: the 16k ports below the
// kernel's ephemeral range (32768 and up by default), not below 1024.
func reservablePorts() (lo, hi int) {
	hi = 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil {
				hi = n
			}
		}
	}
	return max(1024, hi-16384), hi
}

// probePort is the fallback where no range lies below the ephemeral one.
func probePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

package testpeer

import (
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

func TestZooKeeperPeer(t *testing.T) {
	z := StartZooKeeper(t)

	ZkCli(t, z.Addr, "create", "/magedu")
	if out := ZkCli(t, z.Addr, "create", "/magedu/linux", "hello-sluice"); !strings.Contains(out, "Created /magedu/linux") {
		t.Fatalf("zkCli create: unexpected output:\n%s", out)
	}
	if out := ZkCli(t, z.Addr, "get", "/magedu/linux"); !strings.Contains(out, "hello-sluice") {
		t.Fatalf("zkCli get: data not found in output:\n%s", out)
	}

	// The same node seen through the Go client the broker will use.
	conn, _, err := zk.Connect([]string{z.Addr}, 10*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	data, stat, err := conn.Get("/magedu/linux")
	if err != nil {
		t.Fatalf("go-zookeeper get: %v", err)
	}
	if string(data) != "hello-sluice" || stat.Version != 0 || stat.DataLength != int32(len("hello-sluice")) {
		t.Fatalf("go-zookeeper get = %q %+v", data, stat)
	}
	children, _, err := conn.Children("/magedu")
	if err != nil || len(children) != 1 || children[0] != "linux" {
		t.Fatalf("children of /magedu = %v, %v", children, err)
	}
}

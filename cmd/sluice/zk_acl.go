package main

import (
	"fmt"
	"strings"

	"github.com/go-zookeeper/zk"
)

// getAcl prints a znode's ACL as zkCli.sh does: each entry as
// 'scheme,'id and then ": " and its permissions in cdrwa order; with -s
// the node's stat after them.
func (sh *zkShell) getACL(o zkOpts, args []string) error {
	path, err := pathArg(args, 1, false)
	if err != nil {
		return err
	}
	acl, st, err := sh.conn.GetACL(path)
	if err != nil {
		return zkFailed(err, path)
	}
	for _, a := range acl {
		fmt.Fprintf(sh.out, "'%s,'%s\n: %s\n", a.Scheme, a.ID, zkPerms(a.Perms))
	}
	if o.has('s') {
		printZkStat(sh.out, st)
	}
	return nil
}

// zkPerms is ZooKeeper's permission string: c d r w a, those granted.
func zkPerms(perms int32) string {
	var b strings.Builder
	for _, p := range []struct {
		bit int32
		c   byte
	}{{zk.PermCreate, 'c'}, {zk.PermDelete, 'd'}, {zk.PermRead, 'r'}, {zk.PermWrite, 'w'}, {zk.PermAdmin, 'a'}} {
		if perms&p.bit != 0 {
			b.WriteByte(p.c)
		}
	}
	return b.String()
}

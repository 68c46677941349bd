// Package coordinator is sluice's ZooKeeper: a server speaking the
// ZooKeeper client protocol (package zkproto: the jute codec) over a data
// tree (package tree) replicated with go.etcd.io/raft/v3.
//
// Every write — and every session created, closed or expired — is an entry
// of the Raft log (entry.go) and takes its zxid from the entry's index, so
// zxids grow across leader changes. The Raft node (node.go) persists
// entries and hard state in the WAL (package wal, fsynced before
// acknowledging) and hands committed entries to an applier goroutine, so
// applying one batch overlaps writing the next. Reads are served from the
// member's own tree (sequential consistency, as ZooKeeper); sync goes
// through Raft's ReadIndex. Observers are Raft learners. The leader
// expires silent sessions and deletes their ephemerals through the log;
// followers forward their clients' heartbeats to it (transport.go).
// Snapshots of the tree are encoded in the background and purged as
// autopurge says. Configuration is zoo.cfg and dataDir/myid (config.go).
package coordinator

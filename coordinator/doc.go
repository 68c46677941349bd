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
//
// # The peer port
//
// Members exchange Raft messages and session heartbeats on the peer port
// of their server.N line (transport.go; frames in peerframe.go). Without
// sslQuorum it is unauthenticated, as ZooKeeper's quorum port is, and a
// member warns so at start; it accepts only connections from the
// addresses of the server.N hosts, claiming the id of a member at that
// address, and each Raft message must come from the member the
// connection claimed. With sslQuorum=true it is mutual TLS with PEM
// stores (quorumtls.go). A frame is at most 1 MiB (+ its kind byte):
// longer messages travel as pieces, so a length header never makes a
// member allocate more. Dialers ping every tickTime/2; a connection whose
// reads make no progress for syncLimit ticks is dropped, one that has not
// said hello within initLimit ticks too. Refusals are counted in
// sluice_coordinator_peer_connections_refused_total by reason.
package coordinator

// Package tree holds the coordinator's replicated state: the ZooKeeper data
// tree of znodes and the table of sessions that own ephemeral znodes.
//
// The tree is a deterministic state machine. Every change is applied through
// a method that takes a Txn — the zxid, the time and the session the leader
// assigned when it put the request into the Raft log — so every member that
// applies the same log in the same order reaches the same tree, byte for
// byte. Validation (NoNode, NodeExists, BadVersion, …) happens at apply time
// against the tree as it is then, which is what makes a multi atomic: its ops
// are applied in turn and, if one fails, the ones before it are undone from a
// journal.
//
// Invariants:
//   - every znode but "/" has a parent in the tree; a parent's NumChildren is
//     the size of its children set, and Cversion/Pzxid change with every
//     create or delete of a child;
//   - an ephemeral znode's EphemeralOwner is a live session in the session
//     table, and that session's set lists the znode; ephemerals have no
//     children;
//   - zxids only grow: each applied Txn must carry a zxid above the last.
//
// Readers (getData, exists, getChildren, …) take a read lock and may run
// concurrently with each other; Apply methods take the write lock.
//
// Watches are not kept here: they belong to the member whose client set them.
// Each change returns the Events it triggers, for that member's watch manager.
package tree

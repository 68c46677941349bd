// Package broker is sluice's Kafka-protocol broker: partitions kept as
// segment logs (package segment), topics and partition states kept in the
// coordinator as Kafka 2.x keeps them in ZooKeeper (clustermeta.go), consumer
// groups (package group) with their offsets in __consumer_offsets, and
// replication between brokers.
//
// # Replication
//
// One broker is the controller: the one whose ephemeral /controller node
// exists; it bumps /controller_epoch when it takes over and writes every
// partition state in a multi that checks that epoch's version, so a
// controller that lost its session cannot write (controller.go). When a
// broker's registration (/brokers/ids/<id>) disappears, the controller
// removes it from every ISR and gives each partition it led a new leader:
// the first live ISR member in replica order, with the leader epoch bumped
// (any live replica only with unclean.leader.election.enable).
//
// Every broker watches the partition states (watch.go) and takes the role
// each gives it (roles.go): a leader takes appends; a follower runs a
// fetcher (fetcher.go) that first truncates its log where it diverges from
// the leader's (OffsetForLeaderEpoch against the leader-epoch cache,
// epochs.go), then fetches with its replica id. The leader learns each
// follower's log end from its fetch offsets (replica.go):
//
//   - the high watermark is the smallest log end in the ISR, and moves only
//     while the ISR has min.insync.replicas members; consumers never read
//     past it;
//   - acks=all answers once the high watermark passed the batch, and is
//     refused (nothing written) while the ISR is below
//     min.insync.replicas;
//   - a follower that has not caught up for replica.lag.time.max.ms leaves
//     the ISR, and one that holds the high watermark rejoins it; the leader
//     writes these changes with the state node's version, so they cannot
//     overwrite the controller's (nor a newer leader's).
//
// Requests carry the leader epoch the client or follower knows; an older
// one is FENCED_LEADER_EPOCH, a newer one UNKNOWN_LEADER_EPOCH. A broker
// whose coordinator session expired registers again and follows the
// states it then reads.
package broker

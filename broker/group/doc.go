// Package group is the broker's classic consumer-group manager: the
// JoinGroup/SyncGroup/Heartbeat/LeaveGroup protocol with rebalances, and
// committed offsets kept in the compacted internal topic __consumer_offsets,
// in Apache Kafka's record format, so they survive restarts and replicate
// like any other partition.
//
// The Kafka protocol calls this role the group coordinator
// (FindCoordinator, NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE); sluice
// keeps "coordinator" for its ZooKeeper-protocol component, so the type is
// Manager and these docs say group manager, except where they name the
// protocol's own messages and error codes.
//
// The broker owns the connections and decides which groups this manager
// serves: a broker runs one Manager per __consumer_offsets partition it
// leads, and a group belongs to partition PartitionFor(group, partitions),
// Kafka's abs(hashCode) % partitions (FindCoordinator); each handler takes a decoded kmsg request and
// returns the response of the same version. One file per API key, named by
// key number, opening with the API's version range (an API entry; APIs
// lists them and Manager.Handle routes by key).
//
// # State machine
//
// A group is in one of Kafka's states (the names DescribeGroups prints):
//
//	from                          event                                        to
//	Empty                         a member joins                               PreparingRebalance
//	PreparingRebalance            all members joined, or the deadline passed   CompletingRebalance (generation+1)
//	PreparingRebalance            ... and no member is left                    Empty (generation+1)
//	CompletingRebalance           the leader's assignment is stored            Stable
//	CompletingRebalance, Stable   a member joins, leaves, expires, changes     PreparingRebalance
//	                              its metadata, or the leader rejoins
//	Empty                         DeleteGroups, or no offsets left (Run)       Dead (forgotten)
//
// In detail:
//
//   - JoinGroup v4+ with an empty member id is answered MEMBER_ID_REQUIRED
//     with a fresh id "clientID-uuid" (KIP-394); the id is pending until the
//     client rejoins with it or its session timeout passes, and a join phase
//     waits for pending ids too. Static members (group.instance.id) get an
//     id at once; a restarted one fences and replaces its old incarnation.
//   - A join blocks until the join phase completes. It completes when every
//     member has rejoined, or when the deadline passes: the largest
//     rebalance timeout of the members; for a group that was Empty, the
//     initial delay (Options.RebalanceDelay, group.initial.rebalance.delay.ms),
//     extended by the same delay while new members keep arriving, within the
//     rebalance timeout. Members that did not rejoin are removed, the
//     generation increments, the leader (the old one if it rejoined, else
//     the earliest member) gets every member's metadata, and the protocol is
//     chosen by vote among those every member supports (ties: the leader's
//     order).
//   - SyncGroup from the leader stores the assignment (a GroupMetadata
//     record) and answers every waiting member; followers wait for it. A
//     new rebalance answers waiting syncs REBALANCE_IN_PROGRESS. Members that
//     do not sync within the rebalance timeout are removed.
//   - Heartbeats keep the session (Options.Min/MaxSessionTimeout bound it);
//     in PreparingRebalance they answer REBALANCE_IN_PROGRESS so members
//     rejoin. A member whose session passes without a heartbeat, join, sync
//     or commit is removed by Run, which rebalances; so does LeaveGroup.
//   - OffsetCommit with generation -1 and no member id commits without
//     membership, only to an Empty group (creating it if needed); otherwise
//     member and generation must be current, and CompletingRebalance answers
//     REBALANCE_IN_PROGRESS.
//
// # Concurrency
//
// Manager.mu guards all in-memory state and is never held across a
// Store call or a wait. Blocking requests (Join, Sync) register a buffered
// channel on their member and wait on it and on their ctx outside the lock;
// the state machine answers them by sending once. Each group's wmu
// serializes its Store appends, held from append to the in-memory update,
// so memory and log agree on the order of writes (lock order: wmu, mu).
// Deadlines are checked by Run every Options.TickInterval against
// Options.Now.
//
// # Records (the __consumer_offsets format)
//
// Keys and values are kmsg's encodings of Kafka's own schemas; the key's
// leading int16 version tells the kinds apart. Written versions:
//
//	offset commit    key   OffsetCommitKey v1     {version int16, group string, topic string, partition int32}
//	                 value OffsetCommitValue v3   {version int16, offset int64, leader_epoch int32,
//	                                               metadata string, commit_timestamp int64 (ms)}
//	group metadata   key   GroupMetadataKey v2    {version int16, group string}
//	                 value GroupMetadataValue v3  {version, protocol_type, generation, protocol?, leader?,
//	                                               current_state_timestamp, members[{member_id, instance_id?,
//	                                               client_id, client_host, rebalance_timeout, session_timeout,
//	                                               subscription, assignment}]}
//
// A nil value is a tombstone. Compaction keeps the last record of each
// key, which is all replay needs. An offset record is appended for every
// committed partition before the commit is answered. A group metadata
// record is appended when the leader's assignment is stored (before any
// member gets it) and, by Run, when a group becomes Empty. DeleteGroups
// appends tombstones for every offset, then the metadata key; Run writes
// the tombstones of offsets past offsets.retention.minutes (retention.go)
// and those of the metadata of an Empty group left without offsets.
//
// Replay (in New) accepts every key/value version Kafka wrote (offset
// values v0–v4, metadata values v0–v4) and skips unknown key versions.
// It restores offsets and each group's generation, protocol type and
// the time of its last state change (from which retention counts);
// members are not restored, so every group starts Empty and its consumers
// rejoin (their old member ids get UNKNOWN_MEMBER_ID).
package group

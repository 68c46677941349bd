// Package broker is sluice's Kafka-protocol broker: partitions kept as
// segment logs (package segment), topics and partition states kept in the
// coordinator as Kafka 2.x keeps them in ZooKeeper (clustermeta.go), consumer
// groups (package group) with their offsets in __consumer_offsets, and
// replication between brokers. Each partition's replica (log, role,
// epochs, producer state) is package partition.
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
// The controller also does what Kafka 2.x's controller does with topics
// other programs change in ZooKeeper (Kafka 2.x's kafka-topics.sh
// --zookeeper writes only a topic's assignment and config, or a marker
// under /admin/delete_topics): partitions without a state get their
// first one, a topic without an id gets one (written into its
// assignment, so every broker answers the same), and a marked topic is
// deleted once every broker holding a replica is up (controller_topics.go).
// It moves each partition's leadership back to its preferred replica (the
// first of its assignment) when /admin/preferred_replica_election asks,
// and with auto.leader.rebalance.enable when a broker leads too few of
// its preferred partitions (controller_leaders.go), and elects preferred
// or unclean leaders when ElectLeaders asks (43_elect_leaders.go:
// kafka-leader-election.sh); only the controller answers it. It moves
// partitions between brokers (AlterPartitionReassignments, or
// /admin/reassign_partitions): new replicas are added, catch up and join
// the ISR, then leadership moves off a removed replica and the removed
// ones delete their data (controller_reassign.go); as in Kafka, the
// leader epoch is bumped when a reassignment starts and when it
// completes. Each pass of the controller reads the topics once and hands
// that view from step to step (controller_pass.go). Replication can be
// throttled as in Kafka (throttles.go, package replquota): the dynamic
// broker configs leader.replication.throttled.rate and
// follower.replication.throttled.rate (in /config/brokers/<id> or
// <default>) bound the bytes per second a leader sends to out-of-sync
// followers of, and a follower fetches for, the partitions the topic
// configs *.replication.throttled.replicas name with that broker; over
// quota, a throttled partition gets no records in that fetch (a leader)
// or is not fetched (a follower), as kafka-reassign-partitions.sh
// --throttle expects.
// A topic whose assignment node was created again (a new czxid) is a new
// topic to every broker: the old one's partitions and data are dropped.
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
// # Storage faults
//
// A write to a log directory that fails (ENOSPC, EIO; a failed fsync too)
// takes the directory offline, as Kafka does (KIP-112; logdirs.go): the
// partition that saw the failure cuts its partial write and drops its role
// inside the failed call, so nothing more is appended or acknowledged;
// handleLogDirFailures takes every other partition on the directory
// offline (fetcher stopped, log closed) and writes them into this broker's
// registration (offline_log_dirs, offline_replicas), then creates
// /log_dir_event_notification/log_dir_event_<n>. The controller treats a
// replica named there as the replica of a dead broker: it leaves the ISR,
// and an in-sync replica elsewhere becomes leader (with none, the
// partition goes offline until one returns). Requests for an offline
// partition answer KAFKA_STORAGE_ERROR, which clients retry after reading
// the new leader from Metadata; Metadata v5+ lists the offline replicas of
// each partition, and a partition whose leader's replica is offline
// answers LEADER_NOT_AVAILABLE with leader -1, as Kafka's. The directory
// stays offline until the broker restarts (with space, or a working disk):
// its new registration names no offline replica, and its replicas follow,
// catch up and rejoin the ISR. A directory that cannot be created or
// listed when the broker starts (or where a partition fails to open)
// starts offline as in Kafka: its partitions are offline replicas, and so
// is any partition not found in an online directory while an offline one
// cannot be listed (it may be there), unless it was created while the
// broker runs; the broker refuses to start only when every directory is
// offline. Unlike Kafka, a broker whose every log directory failed while
// it runs keeps running (as controller or for other topics' metadata)
// instead of halting.
//
// Requests carry the leader epoch the client or follower knows; an older
// one is FENCED_LEADER_EPOCH, a newer one UNKNOWN_LEADER_EPOCH. A broker
// whose coordinator session expired registers again and follows the
// states it then reads.
//
// # Protocol APIs
//
// One file per API key, named by key number (00_produce.go, …), as in
// franz-go's kfake; each opens with its version range and what changes
// between the versions, declared as an api{key, min, max, handler}. Every
// handler has one signature (apis.go); newAPITable collects them with the
// consumer-group APIs of package group, and ApiVersions, the request
// parser and the dispatch all read that table. Fetch answers with a
// fetchResponse whose records go from the segment files to the socket by
// sendfile (under TLS, which sendfile cannot encrypt, read into the
// connection's 64 KiB write buffer).
//
// # Untrusted input
//
// Everything a client sends, and everything in the coordinator (whose
// nodes are world-writable, as Kafka's are in ZooKeeper, unless
// zookeeper.set.acl=true gives them Kafka's secure ACLs over a TLS
// coordinator client: zkclient_tls.go), is read as untrusted.
//
// Request memory. A request's size prefix is a claim, not an allocation:
// the frame is read as its bytes arrive, starting at 4 KiB and doubling
// once those have arrived (conn.go readFrame), so a connection that
// announces socket.request.max.bytes (100 MiB) and sends a header holds
// 4 KiB; once 64 KiB have arrived the rest is allocated whole, as Kafka
// allocates a frame. All frames being read or handled share one budget,
// queued.max.request.bytes (memory.go), charged with every buffer a frame
// was read into (a frame of n bytes is charged at most n + 124 KiB) until
// the collector has freed it, answered or not: a connection that needs
// more than is left asks for a collection and stops reading until memory
// is given back. Kafka's default for that key is -1, unbounded; ours is
// 100 MiB (the default socket.request.max.bytes, the least a bound may
// be, as in Kafka), and -1 or 0 still mean unbounded. When every request
// holding memory waits for more, the last one to wait takes all it still
// needs beyond the bound rather than deadlock; each of the others holds
// at most its first 124 KiB then, so the bound is exceeded by at most
// those. Only Produce carries
// records: a request of any other API larger than 8 MiB
// (maxSmallRequestBytes, a sluice limit without a Kafka key) closes the
// connection once its API key has arrived. The gauges
// sluice_broker_request_memory_bytes and
// sluice_broker_request_memory_waiting show the budget in use. The budget
// bounds what is charged, not the heap: the collector lets the heap reach
// (1 + GOGC/100) times what is live before it runs, so bounding the
// process is GOMEMLIMIT's job (Go's -Xmx; README, "Broker limits").
//
// Closing. A connection closed for what its client sent (a size prefix
// out of range, a frame too large for its API, a request that does not
// decode, a request before SASL login, a failed TLS handshake) is counted
// in sluice_broker_connections_closed_total{reason}; only 10 such closes
// are logged in 10 s (internal/lograte), the next line logged saying how
// many were not (not_logged). Kafka logs each one, so a flood of garbage
// connections would write the log at the attacker's pace and take the
// broker's core a write at a time (kafka-garbage's client p99 went 0.3 →
// 0.6–1.5 ms with a line each, 0.4–0.5 ms without).
//
// Decoding. kmsg allocates an array's elements from its count, checking
// only that the count is at most half the bytes left, while an element
// may take 40 to 80 bytes in memory. Before kmsg decodes a body,
// checkBody (bodycheck.go) walks it with the request's layout, learnt
// from kmsg's own encoder for every version the broker implements, and
// adds up what decoding will allocate; a body that would take more than
// 8 times its frame (plus 8 KiB) is refused and closes the connection.
// FuzzParseRequest (corpus in testdata/fuzz) checks that parsing any
// input allocates a small multiple of its size.
//
// Connections. max.connections and max.connections.per.ip (Kafka's keys
// and defaults: 2147483647, no bound) count every connection, clients and
// other brokers' fetchers alike, over all the listeners together.
// max.connections.per.ip.overrides ("host:count,…", Kafka's form: an IP
// address or a host name, split at the last colon) sets the limit of an
// address in place of max.connections.per.ip, which may then be 0 (as in
// Kafka, only then). A host name is resolved once, when the broker
// starts; it applies to every address the name has (Kafka's, to the
// first), and one that does not resolve fails the start. A connection
// past its address's limit is closed at accept, as in Kafka; so is one
// past max.connections, where Kafka's acceptor would instead stop
// accepting until a connection ends (leaving the new ones in the listen
// backlog, where clients time out without knowing why). Either is counted
// in sluice_broker_connections_refused_total{limit}; the open ones in
// the gauge sluice_broker_connections. A connection that sends nothing
// for connections.max.idle.ms (Kafka's default, 10 minutes; -1 or 0
// never) is closed and counted in
// sluice_broker_connections_idle_closed_total; only reading waits on that
// clock, so a request that takes long to answer (a fetch's long poll, a
// JoinGroup) is never idleness.
// max.connection.creation.rate and its listener's
// listener.name.plaintext.max.connection.creation.rate (KIP-612; no bound
// by default) bound new connections a second: past them the acceptor
// waits, as Kafka's does, so a flood of short connections waits in the
// listen backlog rather than costing the broker (connrate.go). Kafka's
// per-IP connection_creation_rate quota (set with kafka-configs.sh
// --entity-type ips, through AlterClientQuotas) is not implemented.
//
// Authentication. On a SASL_PLAINTEXT listener a connection must log in
// (sasl_conn.go: SaslHandshake, then SaslAuthenticate or, after a v0
// handshake, raw tokens) before anything but ApiVersions; until then its
// frames are at most 512 KiB and any other request closes it. The
// mechanisms are package broker/sasl's; SCRAM credentials are read from
// /config/users/<user> at each login (scram_users.go), and
// Describe/AlterUserScramCredentials read and write them there with a
// change notification, as Kafka 2.x. Followers log in to their leaders
// with sasl.mechanism.inter.broker.protocol (sasl_peer.go). conn.principal
// is then User:<name>.
//
// A panic while serving a request (a bug in a handler or a decoder) is
// recovered in that connection's goroutine: it is logged with its stack,
// counted in sluice_broker_request_panics_total{api}, and closes that
// connection only. Recovery cannot undo half-done work: a handler that
// panics holding a lock it took without defer leaves it held (the
// CreatePartitions below did, under mu, and the broker could no longer
// stop), so it is a last resort, not a licence to panic.
// Cluster metadata that would index past what it holds (a topic whose
// assignment names no partition, or a partition with no replica) is
// refused: CreatePartitions answers INVALID_REPLICA_ASSIGNMENT.
//
// Internal topics (__consumer_offsets, __transaction_state) are written by
// the broker only: a client's produce to one is INVALID_TOPIC_EXCEPTION,
// as in Kafka. So is a DeleteTopics or CreatePartitions of one (per
// topic; the others in the request proceed), which a Kafka broker leaves
// to its ACLs and its kafka-topics.sh refused. When the group manager replays __consumer_offsets, a
// record that does not decode is skipped, logged and counted in
// sluice_broker_offsets_records_skipped_total, so one bad record cannot
// keep every group from its coordinator.
//
// # Authorization
//
// With authorizer.class.name set (Kafka's AclAuthorizer names), every
// request is authorized as Kafka's KafkaApis authorizes it, against the
// connection's principal (conn.principal; User:ANONYMOUS until
// authentication sets it) and client IP, by package acl's Authorizer,
// which caches every ACL of the cluster. Each handler file says its
// rules; the group APIs' are in group_authz.go. The ACLs live in the
// coordinator as Kafka 2.x keeps them; New reads them all, and
// watchACLChanges (one goroutine per change directory, owned by Run)
// reads a pattern again for each change notification (aclstore.go);
// aclMu, a leaf lock, is held from each such read to the cache's update.
//
// # Words
//
// "Coordinator" means the ZooKeeper-protocol component (sluice
// coordinator) that holds the cluster metadata; clusterMeta is this
// broker's client of it. The consumer groups are run by group managers
// (package group), one for each partition of __consumer_offsets
// (offsets.topic.num.partitions, 50; an existing topic keeps its count),
// on the broker leading that partition: a group's host, the leader of
// partition abs(hashCode(group)) % partitions, computed as Kafka does
// (group.PartitionFor). The Kafka protocol calls that role the group
// coordinator, and its names are kept where the protocol's own messages
// and error codes are meant: FindCoordinator, NOT_COORDINATOR,
// COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE.
//
// Group managers follow leadership as Kafka's onElection/onResignation:
// when this broker becomes leader of an offsets partition (or is elected
// again with a new leader epoch), a goroutine replays the partition's log
// into a new manager, the partition's groups answering
// COORDINATOR_LOAD_IN_PROGRESS meanwhile, and then runs it; when
// leadership moves on, the manager is stopped and its groups answer
// NOT_COORDINATOR, so clients find the new leader. Requests naming
// several groups (DescribeGroups, DeleteGroups, OffsetFetch v8+) are
// answered group by group; ListGroups lists the groups of every manager
// here. __consumer_offsets is created at the first FindCoordinator, as
// in Kafka, and not while fewer brokers are live than
// offsets.topic.replication.factor (3): set it to 1 for a single broker,
// as Kafka's config/server.properties does.
//
// # Listeners and TLS
//
// listeners=NAME://host:port,… binds one listener per entry (listen.go);
// each name's security protocol is its entry in
// listener.security.protocol.map (Kafka's default maps PLAINTEXT, SSL,
// SASL_PLAINTEXT and SASL_SSL to themselves; SASL_SSL is TLS then SASL).
// advertised.listeners gives each listener's address for
// clients; as in Kafka a listener it leaves out serves but is not
// registered. /brokers/ids/<id> holds every advertised endpoint and its
// protocol (endpoints, listener_security_protocol_map), and host/port of
// the PLAINTEXT one (null and -1 without one), as Kafka 2.x writes it.
// Metadata, FindCoordinator and DescribeCluster answer with each broker's
// endpoint of the listener the request arrived on; a broker without that
// listener is left out (a group coordinator without it is
// COORDINATOR_NOT_AVAILABLE). Followers reach their leaders on
// inter.broker.listener.name (or the listener named
// security.inter.broker.protocol; PLAINTEXT by default), over TLS when it
// is SSL or SASL_SSL (logging in with sasl.mechanism.inter.broker.protocol
// when it is a SASL one), with the listener's key store as client certificate and the
// host name verified unless ssl.endpoint.identification.algorithm is
// empty.
//
// SSL listeners take Kafka's ssl.* keys, overridden per key by
// listener.name.<name>.ssl.* (sslconfig.go), PEM stores only: a JKS or
// PKCS12 store, an encrypted key (ssl.key.password is accepted but no key
// is decrypted), TLS versions other than 1.2 and 1.3, or a principal
// mapping rule other than DEFAULT are config errors naming the key. A
// store type left empty is taken from the file's extension (Kafka's
// default is JKS). ssl.client.auth=requested|required verifies client
// certificates against the trust store; the connection's principal is
// then User: and the certificate's subject as Java prints it (RFC 2253,
// principal.go), else User:ANONYMOUS.
//
// # Tests
//
// This package's tests are its unit tests and the single-broker tests
// that need its internals (export_test.go). The tests against other
// programs are in broker/interop (Kafka 3.9's tools and brokers, kcat,
// sarama) and broker/kafka27 (Kafka 2.7's tools and brokers, Apache
// ZooKeeper), the multi-broker failure tests without a JVM in
// broker/clustertest; make test (-p 3) runs these packages side by
// side. Helpers they share are in testkit/brokertest.
//
// # Concurrency
//
// Goroutines. New starts none (the ZooKeeper client's own goroutines
// belong to clusterMeta until Run closes it). Run owns every goroutine of
// the broker and returns only when all have ended:
//
//   - one accept loop per listener (acceptLoop, listen.go; Run waits
//     for them), each ended only by the closer closing its listener: a
//     failed accept (as at the file descriptor limit) is retried after a
//     backoff of 5ms doubling to 1s (internal/accept); the loops share
//     the connection limits and creation rates;
//   - one goroutine per connection (connWG), which runs the TLS
//     handshake of an SSL listener (at most 10 s; a failed one is logged
//     and closes the connection, never stalling the accept loop), then
//     handles its requests in turn; a handler may block on the request's
//     context (acks=all waits, fetch long-polls, JoinGroup and
//     SyncGroup);
//   - the closer, which closes the listeners and every connection when
//     Run's context ends;
//   - session renewal (renewSessions): registers again after the
//     coordinator expired the session;
//   - retention (retentionLoop), the log cleaner (cleanerLoop:
//     compaction of cleanup.policy=compact topics every
//     log.cleaner.backoff.ms), the ISR loop (isrLoop) and the flush loop
//     (flushLoop: log.flush.interval.ms), each a ticker over the local
//     partitions that are not offline;
//   - the log-directory failure handler (handleLogDirFailures), woken by
//     dirEvents;
//   - the cluster watch (watchCluster) and the goroutines it starts to
//     wait for each armed watch (its own WaitGroup);
//   - with an authorizer, the two ACL-change watches
//     (watchACLChanges, aclstore.go);
//   - the config-change watch (watchConfigChanges, configchanges.go):
//     applies the topic configs and this broker's dynamic configs
//     (dynconfig.go: the log defaults, connection quotas and
//     replication throttle rates) altered through any broker;
//   - the request memory's collector (requestMemory.runCollector), which
//     runs a collection when a connection waits for memory that dead
//     frames still hold;
//   - the controller election (runController), which runs the
//     controller's work (control) while this broker is controller;
//   - one fetcher per partition this broker follows (fetcher.go), and
//     one group manager's loading and Run (runGroupManager) per
//     __consumer_offsets partition this broker leads:
//     both are started under runMu, only while runCtx is live, counted in
//     bg, and stopped (cancel, then wait) when the partition's role
//     changes. Every caller that can start one is Run itself (startRoles)
//     or a goroutine Run waits for before bg.Wait, so none starts after
//     it.
//
// Run ends in that order: cancel; wait for the connections, then the
// loops and the closer; stop the group manager; wait for bg (fetchers);
// close the partitions; close the cluster-metadata client. Outside Run,
// only the metrics' gauge functions (Collectors) run on the broker, on the
// scraping goroutine: they read under mu and through the partitions'
// methods.
//
// The topic table. Broker.mu guards the topic table (topics), the live
// brokers and the controller id. alterMu serializes every change to which
// topics and local partitions exist: reloadTopic (read the topic from the
// cluster metadata, open its new local partitions, publish a new
// topicState — or drop it when it is gone), deleteTopic and
// addPartitions. A published topicState is replaced, not edited, except
// for its partition states and their node versions, which
// applyPartitionState updates under mu; its partitions never change, so
// a *partition.Partition taken from it stays valid without mu.
//
// Each partition. A partition.Partition guards its own role, ISR, epochs
// and producer state with its own lock, which only package partition can
// take (see its doc); its log guards itself. roleMu serializes role
// changes: applyPartitionState (from the cluster watch, the ISR writes of
// alterISR, startRoles) applies a state and starts or stops the fetcher
// with roleMu held, and so does removeLocal before it closes a deleted
// topic's partitions; syncGroupManager, called with roleMu held when a
// __consumer_offsets partition changes role, starts or stops its group
// manager. groupsMu guards the map of offsets partitions to managers
// (offsetsShard: loading, loaded or failed); a Manager itself is safe
// for concurrent use (package group).
//
// dirMu guards the failed log directories and the replicas that could not
// open for want of an online directory. It is a leaf: logDirFailed takes
// it with a partition's lock held (the partition reports its failure from
// inside the failed write), and nothing is taken while holding it.
//
// dyn.mu (dynconfig.go) serializes applying the dynamic broker configs
// and reconfiguring partitions for a config change; it is taken before
// every other lock (reloadTopic's alterMu is released before it).
//
// Lock order: dyn.mu, alterMu, roleMu, runMu, groupsMu, mu, then a partition's
// lock (and its log's), then dirMu. Nothing waits for a goroutine while holding mu or
// a partition's lock; roleMu (and alterMu) may be held while a fetcher or
// the group manager is stopped and waited for, which is safe because
// neither takes roleMu, alterMu or runMu. The request memory's lock
// (memory.go) is a leaf, taken with no other held and never waited on
// while held.
package broker

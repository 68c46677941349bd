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
// # Request memory on the client port
//
// A packet is at most jute.maxbuffer (1 MiB - 1); a longer one closes its
// connection. The requests being read or handled, over all connections,
// share largeRequestMaxBytes (default 100 MiB, as in ZooKeeper; see
// largerequests.go): a connection learns a packet's length from its
// 4-byte header, charges it before reading the body, and gives it back
// when the request is answered or the connection closes. A request that
// would exceed the budget closes its connection without a reply (as
// ZooKeeper does; the client reconnects and retries) and is counted in
// sluice_coordinator_large_requests_rejected_total; the bytes charged are
// the gauge sluice_coordinator_large_request_bytes. A charged packet's
// buffer is allocated whole (the budget has room for it) rather than
// grown as its bytes arrive, so it leaves no outgrown buffers behind.
//
// Only requests longer than largeRequestThreshold are charged.
// ZooKeeper's default threshold, -1, charges none and so turns the budget
// off (-1 does so here too). Ours is 64 KiB, the size of a connection's
// write buffer: a smaller request adds at most what each connection holds
// anyway, and is never refused. Charging every request (threshold 1)
// bounds memory a little more tightly, but then connections stalled in
// 1 MiB packets that fill the budget also get every other client's
// requests refused until they time out: a normal client beside the
// zk-huge-connect attack (sluice-bench attack) failed 92 requests in 5 s.
// ZooKeeper checks a length against the budget when the header arrives
// but charges it only once the body has been read; charging at the
// header is what bounds connections stalled mid-packet.
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
// said hello within initLimit ticks too. An address gets at most
// PeerConnBurst connections at once, then PeerConnRate a second
// (peerrate.go; ZooKeeper has no key for it); the others, and those from
// addresses that are no server.N host, are reset at accept without a
// read. Refusals are counted in
// sluice_coordinator_peer_connections_refused_total by reason.
//
// # The secure client port
//
// With secureClientPort (clienttls.go) a second listener serves the same
// clients over TLS with ZooKeeper's ssl.* keys (PEM stores only); both
// ports run at once. The TLS handshake runs in the connection's goroutine
// under the same deadline as the connect request, so a client that
// stalls it, speaks plaintext, or presents a certificate of another CA or
// an expired one is closed without holding up accept; refusals are
// counted in sluice_coordinator_connections_refused_total as
// tls_handshake. A verified client certificate gives the connection the
// x509 identity of its subject (RFC 2253, as X500Principal.getName()),
// for ACLs as ZooKeeper's X509AuthenticationProvider (the subject named
// by X509AuthenticationProvider.superUser passes every ACL). superDigest
// (DigestAuthenticationProvider.superDigest) makes a client that adds the
// digest super:<password> pass every ACL.
//
// # Connection throttle on the client port
//
// ZooKeeper 3.6+'s connection_throttle_* keys (off by default) put a
// token bucket, with BLUE's random drops, on connect requests
// (throttle.go): a connect request over it is closed unanswered before
// it costs a session. Short connections' read buffers (4 KiB: a large
// packet is read straight into its own buffer) and 64 KiB write buffers
// come from per-server pools (internal/connbuf).
//
// Refusals pace the client port's accept loop as they pace the peer
// port's (peerrate.go, refusePacer): a connection refused at accept
// (maxCnxns, maxClientCnxns) or closed before its session (a connect
// packet too long or over largeRequestMaxBytes, a throttled or failed
// handshake) takes a token of a bucket of 64 refilled at 100 a second;
// while the bucket is in debt the loop waits 10 ms before each accept,
// the rest of a flood waiting in the kernel's accept queue. ZooKeeper has
// no key for it. Established sessions are not touched; a new client
// waits its turn during a flood. Without it zk-huge-connect's reconnect
// loop was accepted ~4,600 times a second, each a connection's worth of
// garbage (10 MiB a second), which the collector's headroom had to hold.
package coordinator

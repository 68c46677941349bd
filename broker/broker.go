package broker

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/sluicelogs/sluice/broker/acl"
	"github.com/sluicelogs/sluice/broker/partition"
	"github.com/sluicelogs/sluice/internal/accept"
	"github.com/sluicelogs/sluice/internal/connbuf"
	"github.com/sluicelogs/sluice/internal/dirlock"
)

// Broker is one Kafka-protocol broker. Its topics and partition states live
// in the cluster metadata, in the coordinator (clusterMeta); its
// partitions' data in segment logs under log.dirs. Which goroutine owns
// what, and the lock order, are in the package doc (Concurrency).
type Broker struct {
	cfg  *Config
	log  *slog.Logger
	meta *clusterMeta
	ln   net.Listener

	alterMu    sync.Mutex   // serializes changes to which topics and partitions exist here
	mu         sync.RWMutex // guards the four below and the topicStates' states and versions
	topics     map[string]*topicState
	brokers    map[int32]brokerInfo
	controller int32
	// fence is the controller epoch and the version of
	// /controller_epoch that fence this broker's writes as controller;
	// zero while it is not controller (controllerFence).
	fence controllerFence

	clusterID string // /cluster/id (clusterid.go)

	producerIDs producerIDs

	roleMu sync.Mutex // serializes partition role changes and starting/stopping the group manager

	// runCtx is Run's context, nil before Run: fetchers and the group
	// manager start only while the broker runs, and bg waits for them.
	runMu  sync.Mutex
	runCtx context.Context
	bg     sync.WaitGroup

	groupsMu sync.Mutex
	groups   map[int32]*offsetsShard // by the __consumer_offsets partitions this broker leads

	// dirMu guards the failed log directories and the replicas that could
	// not open for want of an online one; a leaf lock (logDirFailed
	// takes it under a partition's lock). dirEvents wakes
	// handleLogDirFailures.
	dirMu       sync.Mutex
	offlineDirs map[string]error
	unopened    map[stateKey]bool
	dirEvents   chan struct{}
	dirLocks    []*dirlock.Lock // the online log directories' (set in New, given up in closePartitions)

	// topicEvents wakes the controller's work (control) when the cluster
	// watch saw a topic's assignment change (partitions added elsewhere).
	topicEvents chan struct{}

	metrics *metrics
	quotas  *replicationQuotas // the replication throttles (throttles.go)
	dyn     *brokerDynamic     // the dynamic broker configs and the effective config (dynconfig.go)
	apis    apiTable           // the APIs this broker implements, by key
	mem     *requestMemory     // queued.max.request.bytes over all connections
	bufs    *connbuf.Pool      // the connections' 64 KiB read and write buffers
	conns   *connCounts        // for max.connections, max.connections.per.ip and its overrides
	authz   *acl.Authorizer    // the ACLs (aclstore.go); nil: authorizer.class.name empty, everything allowed
	aclMu   sync.Mutex         // a leaf: held from reading ACLs in the coordinator to caching them (reloadACL)
	rates   []*connRate        // max.connection.creation.rate, the listener's (connrate.go)

	connWG sync.WaitGroup
}

// topicState is a topic as this broker serves it. A reload publishes a
// new topicState (under alterMu and mu); only states and versions of a
// published one change (under mu); the rest, partitions included, never
// does.
type topicState struct {
	name       string
	id         [16]byte
	created    int64                  // the czxid of its assignment node (topic.created)
	partitions []*partition.Partition // nil entries for partitions this broker does not hold
	replicas   [][]int32
	states     []partitionState
	versions   []int32 // of the states' nodes
	config     map[string]string
}

// New connects to the coordinator, registers the broker and opens the
// partitions it holds.
func New(cfg *Config, log *slog.Logger) (*Broker, error) {
	log = log.With("component", "broker", "broker_id", cfg.BrokerID)
	ctx, cancel := context.WithTimeout(context.Background(), cfg.ZooKeeperTimeout)
	conns, err := newConnCounts(ctx, cfg)
	cancel()
	if err != nil {
		return nil, err
	}
	meta, err := dialClusterMeta(cfg, log)
	if err != nil {
		return nil, err
	}
	b := &Broker{cfg: cfg, log: log, meta: meta, topics: map[string]*topicState{}, controller: -1, metrics: newMetrics(),
		offlineDirs: map[string]error{}, unopened: map[stateKey]bool{}, dirEvents: make(chan struct{}, 1), conns: conns,
		topicEvents: make(chan struct{}, 1), rates: newConnRates(cfg), quotas: newReplicationQuotas(cfg)}
	if b.clusterID, err = meta.clusterID(); err != nil {
		meta.close()
		return nil, err
	}
	if b.authz, err = newAuthorizer(cfg, meta); err != nil {
		meta.close()
		return nil, err
	}
	b.dyn, b.rates = newBrokerDynamic(cfg, b.rates)
	b.loadBrokerConfigs() // before the partitions open, so that they open with them
	b.apis = newAPITable()
	b.mem = newRequestMemory(cfg.QueuedMaxRequestBytes)
	b.bufs = connbuf.New(64 << 10)
	err = b.checkLogDirs()
	if err == nil {
		err = b.noLogDir()
	}
	if err == nil {
		err = b.loadTopics()
	}
	if err == nil {
		err = b.noLogDir() // the last one failed as a partition opened
	}
	if err != nil {
		b.closePartitions()
		meta.close()
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Listener)
	if err != nil {
		b.closePartitions()
		meta.close()
		return nil, fmt.Errorf("broker: listen: %w", err)
	}
	b.ln = ln
	if cfg.AdvertisedPort == 0 {
		b.cfg.AdvertisedPort = int32(ln.Addr().(*net.TCPAddr).Port)
	}
	if err := meta.registerBroker(context.Background(), cfg.BrokerID, b.registration(), cfg.ZooKeeperSessionTimeout+5*time.Second); err != nil {
		ln.Close()
		b.closePartitions()
		meta.close()
		return nil, err
	}
	if err := b.refreshBrokers(); err != nil {
		log.Warn("reading brokers", "err", err)
	}
	return b, nil
}

// Addr is the address the broker listens on.
func (b *Broker) Addr() string { return b.ln.Addr().String() }

// Run serves clients until ctx is done, then closes everything. A failed
// accept never ends it: only the listener's closing, when ctx ends, does.
func (b *Broker) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	b.runMu.Lock()
	b.runCtx = ctx
	b.runMu.Unlock()
	b.startRoles()
	var wg sync.WaitGroup
	wg.Add(10)
	go func() { defer wg.Done(); b.renewSessions(ctx) }()
	go func() { defer wg.Done(); b.retentionLoop(ctx) }()
	go func() { defer wg.Done(); b.cleanerLoop(ctx) }()
	go func() { defer wg.Done(); b.flushLoop(ctx) }()
	go func() { defer wg.Done(); b.handleLogDirFailures(ctx) }()
	go func() { defer wg.Done(); b.watchCluster(ctx) }()
	go func() { defer wg.Done(); b.runController(ctx) }()
	go func() { defer wg.Done(); b.isrLoop(ctx) }()
	go func() { defer wg.Done(); b.mem.runCollector(ctx, 10*time.Millisecond) }()
	go func() { defer wg.Done(); b.watchConfigChanges(ctx) }()
	if b.authz != nil {
		wg.Add(2)
		go func() { defer wg.Done(); b.watchACLChanges(ctx, acl.LiteralChanges) }()
		go func() { defer wg.Done(); b.watchACLChanges(ctx, acl.ExtendedChanges) }()
	}
	b.log.Info("broker serving", "addr", b.Addr(), "advertised", fmt.Sprintf("%s:%d", b.cfg.AdvertisedHost, b.cfg.AdvertisedPort))

	var conns sync.Map
	wg.Add(1)
	go func() { // closes the listener and the connections when ctx ends
		defer wg.Done()
		<-ctx.Done()
		b.ln.Close()
		conns.Range(func(k, _ any) bool { k.(net.Conn).Close(); return true })
	}()
	for {
		// A failed accept (too many open files) is waited out inside
		// accept.Next: the clients already connected still need the
		// broker, and new ones get in once descriptors are free.
		nc, aerr := accept.Next(ctx, b.ln, b.log)
		if aerr != nil {
			break
		}
		if !b.throttleAccept(ctx) {
			nc.Close()
			break
		}
		// As Kafka, a connection past max.connections.per.ip is closed
		// at once; so is one past max.connections, where Kafka's acceptor
		// would stop accepting until a connection ends (package doc).
		ip := remoteIP(nc)
		if limit := b.conns.admit(ip); limit != "" {
			b.metrics.refused.WithLabelValues(limit).Inc()
			b.log.Debug("connection refused", "remote", nc.RemoteAddr(), "limit", limit)
			nc.Close()
			continue
		}
		conns.Store(nc, struct{}{})
		if ctx.Err() != nil { // accepted as Run was stopping: the closer may have missed it
			nc.Close()
		}
		b.connWG.Add(1)
		go func() {
			defer b.connWG.Done()
			(&conn{b: b, nc: nc, principal: anonymousPrincipal}).serve(ctx)
			conns.Delete(nc)
			b.conns.done(ip)
		}()
	}
	cancel()
	b.connWG.Wait()
	wg.Wait()
	b.stopGroupManagers()
	b.bg.Wait()
	b.closePartitions()
	b.meta.close()
	return nil
}

// throttleAccept records an accepted connection against the creation
// rates and waits as long as the rate furthest past its quota asks, as
// Kafka's acceptor does (connrate.go): meanwhile nothing else is
// accepted. It returns false if ctx ended while it waited.
func (b *Broker) throttleAccept(ctx context.Context) bool {
	now := time.Now()
	var wait time.Duration
	limit := ""
	for _, r := range b.rates {
		if d := r.record(now); d > wait {
			wait, limit = d, r.limit
		}
	}
	if wait <= 0 {
		return true
	}
	b.metrics.throttled.WithLabelValues(limit).Inc()
	b.metrics.throttleSeconds.Add(wait.Seconds())
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// renewSessions registers the broker again whenever the coordinator
// expired its session (it was cut off longer than
// zookeeper.session.timeout.ms): meanwhile the controller has moved its
// partitions' leadership away, and the watches, which fire on expiry,
// bring the new states that make it follow.
func (b *Broker) renewSessions(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-b.meta.renewed:
		}
		b.log.Info("new coordinator session: registering again")
		if err := b.meta.registerBroker(ctx, b.cfg.BrokerID, b.registration(), b.cfg.ZooKeeperSessionTimeout+5*time.Second); err != nil {
			b.log.Error("registering again", "err", err)
		}
		if err := b.refreshBrokers(); err != nil {
			b.log.Warn("reading brokers", "err", err)
		}
	}
}

package broker

import (
	"context"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/sluicelogs/sluice/broker/acl"
	"github.com/sluicelogs/sluice/broker/partition"
	"github.com/sluicelogs/sluice/internal/connbuf"
	"github.com/sluicelogs/sluice/internal/dirlock"
	"github.com/sluicelogs/sluice/internal/lograte"
)

// Broker is one Kafka-protocol broker. Its topics and partition states live
// in the cluster metadata, in the coordinator (clusterMeta); its
// partitions' data in segment logs under log.dirs. Which goroutine owns
// what, and the lock order, are in the package doc (Concurrency).
type Broker struct {
	cfg  *Config
	log  *slog.Logger
	meta *clusterMeta
	// listeners are the bound listeners (listen.go), the first one's
	// address is Addr.
	listeners []*listener

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
	// closeLog bounds the lines logged about connections closed for what
	// their clients sent (conn.go closing), which a client controls.
	closeLog *lograte.Limiter
	conns    *connCounts     // for max.connections, max.connections.per.ip and its overrides
	authz    *acl.Authorizer // the ACLs (aclstore.go); nil: authorizer.class.name empty, everything allowed
	aclMu    sync.Mutex      // a leaf: held from reading ACLs in the coordinator to caching them (reloadACL)
	rates    []*connRate     // max.connection.creation.rate, the listener's (connrate.go)

	users saslListenerUsers // the SASL mechanisms' credentials, by listener (scram_users.go)

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
	b.users = newSASLUsers(cfg, meta)
	b.mem = newRequestMemory(cfg.QueuedMaxRequestBytes)
	b.bufs = connbuf.New(64 << 10)
	b.closeLog = lograte.New(closeLogBurst, closeLogInterval)
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
	if b.listeners, err = listen(cfg); err != nil {
		b.closePartitions()
		meta.close()
		return nil, err
	}
	if err := meta.registerBroker(context.Background(), cfg.BrokerID, b.registration(), cfg.ZooKeeperSessionTimeout+5*time.Second); err != nil {
		b.closeListeners()
		b.closePartitions()
		meta.close()
		return nil, err
	}
	if err := b.refreshBrokers(); err != nil {
		log.Warn("reading brokers", "err", err)
	}
	return b, nil
}

// Addr is the address the broker's first listener is bound to.
func (b *Broker) Addr() string { return b.listeners[0].ln.Addr().String() }

func (b *Broker) closeListeners() {
	for _, l := range b.listeners {
		l.ln.Close()
	}
}

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
	for _, l := range b.listeners {
		b.log.Info("broker serving", "listener", l.Name, "protocol", l.protocol, "addr", l.ln.Addr().String(),
			"advertised", net.JoinHostPort(l.AdvertisedHost, strconv.Itoa(int(l.AdvertisedPort))))
	}

	var conns sync.Map
	wg.Add(1)
	go func() { // closes the listeners and the connections when ctx ends
		defer wg.Done()
		<-ctx.Done()
		b.closeListeners()
		conns.Range(func(k, _ any) bool { k.(net.Conn).Close(); return true })
	}()
	// One accept loop per listener; they end when the closer closes
	// their listeners.
	var loops sync.WaitGroup
	for _, l := range b.listeners {
		loops.Add(1)
		go func() { defer loops.Done(); b.acceptLoop(ctx, l, &conns) }()
	}
	loops.Wait()
	cancel()
	b.connWG.Wait()
	wg.Wait()
	b.stopGroupManagers()
	b.bg.Wait()
	b.closePartitions()
	b.meta.close()
	return nil
}

// throttleAccept records a connection accepted on listener against the
// creation rates and waits as long as the rate furthest past its quota
// asks, as Kafka's acceptor does (connrate.go): meanwhile that listener
// accepts nothing else. The listener.name.plaintext rate counts only the
// PLAINTEXT listener's connections. It returns false if ctx ended while
// it waited.
func (b *Broker) throttleAccept(ctx context.Context, listener string) bool {
	now := time.Now()
	var wait time.Duration
	limit := ""
	for _, r := range b.rates {
		if r.limit == listenerRateKey && listener != protoPlaintext {
			continue
		}
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

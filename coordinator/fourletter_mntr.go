package coordinator

import (
	"fmt"
	"io"
	"strconv"
	"time"
)

// writeMntr prints mntr as ZooKeeper 3.8 does: one "key\tvalue" line per
// gauge or counter. ZooKeeper's per-stage timing summaries (the
// zk_{avg,min,max,cnt,sum,pNN}_<stage> sets of its request processor
// pipeline, JVM pauses, netty buffers) describe a pipeline this server does
// not have and are left out; every other key ZooKeeper 3.8 prints is here,
// with the leader's keys on the leader and the quorum keys on ensemble
// members. Counters of mechanisms sluice has no counterpart for (TLS
// handshakes, netty, ensemble SASL, the request throttle, response caches)
// are 0, which is what they are.
func (s *Server) writeMntr(w io.Writer) {
	cs := s.clientConns()
	paths, watches := s.watches.count()
	lo, avg, hi := s.stats.minAvgMax()
	sessions := len(s.tree.Sessions())
	i := strconv.FormatInt
	rows := [][2]string{
		{"zk_version", versionLine},
		{"zk_server_state", s.Mode()},
		{"zk_avg_latency", avg},
		{"zk_min_latency", i(lo, 10)},
		{"zk_max_latency", i(hi, 10)},
		{"zk_packets_received", i(s.stats.recv.Load(), 10)},
		{"zk_packets_sent", i(s.stats.sent.Load(), 10)},
		{"zk_num_alive_connections", strconv.Itoa(len(cs))},
		{"zk_outstanding_requests", i(s.outstanding(cs), 10)},
		{"zk_znode_count", strconv.Itoa(s.tree.Len())},
		{"zk_watch_count", strconv.Itoa(watches)},
		{"zk_ephemerals_count", strconv.Itoa(s.ephemeralCount())},
		{"zk_approximate_data_size", i(s.tree.ApproximateDataSize(), 10)},
		{"zk_open_file_descriptor_count", strconv.Itoa(openFDs())},
		{"zk_max_file_descriptor_count", i(maxFDs(), 10)},
		{"zk_global_sessions", strconv.Itoa(sessions)},
		{"zk_local_sessions", "0"},
		{"zk_uptime", i(time.Since(s.started).Milliseconds(), 10)},
		{"zk_last_client_response_size", i(s.stats.lastResp.Load(), 10)},
		{"zk_min_client_response_size", i(s.stats.respMin(), 10)},
		{"zk_max_client_response_size", i(s.stats.maxResp.Load(), 10)},
		{"zk_bytes_received_count", i(s.stats.bytesRecv.Load(), 10)},
		{"zk_large_requests_rejected", i(s.largeRejected.Load(), 10)},
		{"zk_connection_rejected", i(s.refusedTotal.Load(), 10)},
		{"zk_connection_request_count", i(s.connRequests.Load(), 10)},
		{"zk_non_mtls_remote_conn_count", "0"},
		{"zk_non_mtls_local_conn_count", "0"},
		{"zk_connection_drop_probability", "0.0"},
		{"zk_watch_bytes", "0"},
		{"zk_outstanding_tls_handshake", "0"},
	}
	// Counters of ZooKeeper's that stay 0 here.
	for _, k := range []string{
		"zk_auth_failed_count", "zk_proposal_count", "zk_outstanding_changes_removed", "zk_outstanding_changes_queued",
		"zk_throttled_ops", "zk_stale_requests_dropped", "zk_insecure_admin_count", "zk_cnxn_closed_without_zk_server_running",
		"zk_sessionless_connections_expired", "zk_looking_count", "zk_dead_watchers_queued", "zk_stale_requests",
		"zk_connection_drop_count", "zk_learner_proposal_received_count", "zk_digest_mismatches_count",
		"zk_dead_watchers_cleared", "zk_response_packet_cache_hits", "zk_add_dead_watcher_stall_time",
		"zk_request_throttle_wait_count", "zk_requests_not_forwarded_to_commit_processor", "zk_response_packet_cache_misses",
		"zk_ensemble_auth_success", "zk_prep_processor_request_queued", "zk_learner_commit_received_count", "zk_stale_replies",
		"zk_response_bytes", "zk_ensemble_auth_fail", "zk_diff_count", "zk_response_packet_get_children_cache_misses",
		"zk_connection_revalidate_count", "zk_quit_leading_due_to_disloyal_voter", "zk_snap_count", "zk_unrecoverable_error_count",
		"zk_unsuccessful_handshake", "zk_commit_count", "zk_stale_sessions_expired", "zk_response_packet_get_children_cache_hits",
		"zk_sync_processor_request_queued", "zk_request_commit_queued", "zk_ensemble_auth_skip",
		"zk_skip_learner_request_to_next_processor_count", "zk_tls_handshake_exceeded", "zk_revalidate_count",
	} {
		rows = append(rows, [2]string{k, "0"})
	}
	if !s.cfg.Standalone() {
		state := "following - broadcast"
		switch s.Mode() {
		case "leader":
			state = "leading - broadcast"
		case "observer":
			state = "observing - broadcast"
		}
		voters := 0
		for _, id := range s.cfg.MemberIDs() {
			if !s.cfg.Servers[id].Observer {
				voters++
			}
		}
		rows = append(rows, [2]string{"zk_peer_state", state}, [2]string{"zk_quorum_size", strconv.Itoa(voters)})
	}
	if s.Mode() == "leader" {
		learners, followers, observers := s.leaderStats()
		rows = append(rows,
			[2]string{"zk_learners", strconv.Itoa(learners)},
			[2]string{"zk_synced_followers", strconv.Itoa(followers)},
			[2]string{"zk_synced_non_voting_followers", "0"},
			[2]string{"zk_synced_observers", strconv.Itoa(observers)},
			[2]string{"zk_pending_syncs", "0"},
			[2]string{"zk_leader_uptime", i(time.Since(s.started).Milliseconds(), 10)},
			[2]string{"zk_last_proposal_size", "-1"},
			[2]string{"zk_min_proposal_size", "-1"},
			[2]string{"zk_max_proposal_size", "-1"},
		)
	}
	_ = paths
	for _, r := range rows {
		fmt.Fprintf(w, "%s\t%s\n", r[0], r[1])
	}
}

// queued is the replies waiting for the socket.
func (c *conn) queued() int {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	return len(c.q)
}

// consLine is the connection as cons shows it.
func (c *conn) consLine() string {
	line := fmt.Sprintf(" /%s[1](queued=%d,recved=%d,sent=%d", c.nc.RemoteAddr(), c.queued(), c.stats.recv.Load(), c.stats.sent.Load())
	if id := c.sessionID(); id != 0 {
		c.last.mu.Lock()
		op, cxid, zxid, at, llat := c.last.op, c.last.cxid, c.last.zxid, c.last.at, c.last.latency
		c.last.mu.Unlock()
		if op == "" {
			op = "NA"
		}
		lo, _, hi := c.stats.minAvgMax()
		avg := int64(0)
		if n := c.stats.count.Load(); n > 0 {
			avg = c.stats.totalMicros.Load() / n / 1000
		}
		lresp := int64(0)
		if !at.IsZero() {
			lresp = at.UnixMilli()
		}
		line += fmt.Sprintf(",sid=%#x,lop=%s,est=%d,to=%d,lcxid=%#x,lzxid=%#x,lresp=%d,llat=%d,minlat=%d,avglat=%d,maxlat=%d",
			id, op, c.established.UnixMilli(), c.timeout.Milliseconds(), cxid, zxid, lresp, llat.Milliseconds(), lo, avg, hi)
	}
	return line + ")"
}

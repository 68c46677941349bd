package broker

import (
	"cmp"
	"errors"
	"slices"

	"github.com/go-zookeeper/zk"
)

// Preferred leaders, as Kafka's controller keeps them. A partition's
// preferred replica is the first of its assignment: assignments spread
// those over the brokers, so leadership (and the load of producing and
// consuming) is spread while every preferred replica leads. A failover
// moves leadership away; the controller moves it back:
//
//   - with auto.leader.rebalance.enable (default true), every
//     leader.imbalance.check.interval.seconds (300) it counts, for each
//     broker, the partitions it is the preferred replica of and those of
//     them it does not lead; when the second is more than
//     leader.imbalance.per.broker.percentage (10) percent of the first,
//     those partitions are elected again;
//   - /admin/preferred_replica_election, {"version":1,"partitions":
//     [{"topic":…,"partition":…},…]} (what Kafka 2.x's
//     kafka-preferred-replica-election.sh --zookeeper writes), elects the
//     partitions it names; the node is removed once they all were
//     considered.
//
// An election gives the leadership to the preferred replica only if its
// broker is live and it is in the ISR (it has every committed record),
// bumping the leader epoch and keeping the ISR; otherwise the partition
// stays as it is.
const preferredElection = "/admin/preferred_replica_election"

// preferredState is st with the leadership moved to the preferred
// replica; false when it leads already or cannot lead (not live, or not
// in the ISR).
func preferredState(st partitionState, replicas []int32, isLive func(int32) bool) (partitionState, bool) {
	if len(replicas) == 0 {
		return st, false
	}
	pref := replicas[0]
	if st.Leader == pref || !isLive(pref) || !slices.Contains(st.ISR, pref) {
		return st, false
	}
	next := st
	next.Version = 1
	next.Leader, next.LeaderEpoch = pref, st.LeaderEpoch+1
	return next, true
}

// imbalanced returns the partitions a leader rebalance elects: for every
// broker not leading more than percentage percent of the partitions it is
// the preferred replica of, those it does not lead; sorted.
func imbalanced(topics map[string]*topic, percentage int) []stateKey {
	type tally struct {
		preferred  int
		notLeading []stateKey
	}
	byBroker := map[int32]*tally{}
	for name, t := range topics {
		for i, reps := range t.replicas {
			if t.versions[i] < 0 || len(reps) == 0 {
				continue // not started yet
			}
			tl := byBroker[reps[0]]
			if tl == nil {
				tl = &tally{}
				byBroker[reps[0]] = tl
			}
			tl.preferred++
			if t.states[i].Leader != reps[0] {
				tl.notLeading = append(tl.notLeading, stateKey{name, int32(i)})
			}
		}
	}
	var out []stateKey
	for _, tl := range byBroker {
		if len(tl.notLeading)*100 > percentage*tl.preferred {
			out = append(out, tl.notLeading...)
		}
	}
	slices.SortFunc(out, func(a, b stateKey) int {
		return cmp.Or(cmp.Compare(a.topic, b.topic), cmp.Compare(a.index, b.index))
	})
	return out
}

// electPreferred moves the leadership of each of keys to its preferred
// replica where it can (see preferredState), marking the topics it
// writes in view. Partitions that do not exist are skipped. An error
// means some were not written (a state changed meanwhile, or
// errControllerMoved).
func (b *Broker) electPreferred(view *passTopics, keys []stateKey, live map[int32]brokerInfo, epoch int, epochVersion int32) error {
	var errs []error
	for _, k := range keys {
		t := view.all[k.topic]
		if t == nil || k.index < 0 || int(k.index) >= len(t.replicas) || t.versions[k.index] < 0 {
			continue
		}
		st := t.states[k.index]
		next, ok := preferredState(st, t.replicas[k.index], replicaUsable(live, k.topic, k.index))
		if !ok {
			continue
		}
		next.ControllerEpoch = epoch
		err := b.meta.setPartitionStateAsController(k.topic, k.index, next, t.versions[k.index], epochVersion)
		if errors.Is(err, errControllerMoved) {
			return err
		}
		view.wrote(k.topic)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		b.log.Info("controller: the preferred replica leads again", "topic", k.topic, "partition", k.index,
			"leader", next.Leader, "leader_epoch", next.LeaderEpoch, "was_leader", st.Leader)
		b.metrics.leaderElections.Inc()
	}
	return errors.Join(errs...)
}

// preferredLeaders runs the elections due in this pass, on its view of
// the topics: the partitions /admin/preferred_replica_election names
// (removing the node once done), and with rebalance the imbalanced ones.
func (b *Broker) preferredLeaders(view *passTopics, live map[int32]brokerInfo, rebalance bool, epoch int, epochVersion int32) error {
	data, _, err := b.meta.conn.Get(b.meta.p(preferredElection))
	requested := err == nil
	if err != nil && !errors.Is(err, zk.ErrNoNode) {
		return err
	}
	if !requested && !rebalance {
		return nil
	}
	var errs []error
	if requested {
		keys, err := decodePreferredElection(data)
		if err != nil {
			b.log.Warn("controller: ignoring a preferred replica election that does not decode", "err", err)
		} else {
			err = b.electPreferred(view, keys, live, epoch, epochVersion)
		}
		if errors.Is(err, errControllerMoved) {
			return err
		}
		if err != nil && !errors.Is(err, errBadMetadata) {
			errs = append(errs, err) // the node stays: the next pass tries again
		} else if err := b.meta.removeAsController(preferredElection, epochVersion); err != nil {
			return err
		}
	}
	if rebalance {
		// What the requested elections wrote is read again first.
		if err := view.refresh(); err != nil {
			return errors.Join(append(errs, err)...)
		}
		if err := b.electPreferred(view, imbalanced(view.all, b.cfg.LeaderImbalancePerBrokerPercentage), live, epoch, epochVersion); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

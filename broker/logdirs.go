package broker

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/sluicelogs/sluice/broker/partition"
	"github.com/sluicelogs/sluice/internal/dirlock"
)

// A log directory fails as in Kafka (KIP-112): the first write to it that
// fails with an I/O error (ENOSPC, EIO: the segment log wraps those in
// KAFKA_STORAGE_ERROR) takes that partition offline at once, inside the
// failed call (partition.failLocked), and reports the directory here
// (logDirFailed). handleLogDirFailures, a goroutine of Run, then takes
// every other partition on the directory offline (no role, no fetcher,
// log closed; requests for them answer KAFKA_STORAGE_ERROR), writes the
// offline replicas into this broker's registration (/brokers/ids/<id>,
// offline_log_dirs and offline_replicas) and creates a
// /log_dir_event_notification/log_dir_event_<n> node for the controller,
// which treats those replicas as it treats the replicas of a dead broker
// (electLeaders): out of the ISR, and an in-sync replica elsewhere leads.
// A directory stays offline until the broker restarts: the new
// registration names no offline replica, and the partitions come back as
// followers (or as leaders of partitions no other in-sync replica could
// take over).

// checkLogDirs makes, checks and locks every log directory when the
// broker starts, as Kafka's LogManager does: one that cannot be created,
// is not a directory or cannot be listed or locked starts offline, and the
// broker serves from the others. A partition kept there is an offline
// replica (placePartition); a new one goes to an online directory. A
// directory another process has locked (another broker on the same
// log.dirs) fails the start, as in Kafka: two writers would corrupt its
// logs. The locks are given up in closePartitions.
func (b *Broker) checkLogDirs() error {
	for _, d := range b.cfg.LogDirs {
		d = filepath.Clean(d)
		err := os.MkdirAll(d, 0o755)
		if err == nil {
			_, err = os.ReadDir(d)
		}
		if err == nil {
			var l *dirlock.Lock
			l, err = dirlock.Take(d)
			if errors.Is(err, dirlock.ErrHeld) {
				return fmt.Errorf("broker: log directory %s is used by another broker: %w", d, err)
			}
			if err == nil {
				b.dirLocks = append(b.dirLocks, l)
			}
		}
		if err != nil {
			b.dirMu.Lock()
			b.offlineDirs[d] = err
			b.dirMu.Unlock()
			b.log.Error("log directory offline at start: its partitions stay offline until the broker restarts with it working", "dir", d, "err", err)
		}
	}
	return nil
}

// releaseDirLocks gives up the log directories' locks.
func (b *Broker) releaseDirLocks() {
	for _, l := range b.dirLocks {
		if err := l.Release(); err != nil {
			b.log.Warn("releasing a log directory's lock", "err", err)
		}
	}
	b.dirLocks = nil
}

// noLogDir is the error New fails with when every log directory is
// offline (Kafka's broker shuts down then too), naming each with its
// error; nil while one is online.
func (b *Broker) noLogDir() error {
	offline := b.offlineLogDirs()
	var errs []error
	for _, d := range b.cfg.LogDirs {
		err, ok := offline[filepath.Clean(d)]
		if !ok {
			return nil
		}
		errs = append(errs, err) // each names its path
	}
	return fmt.Errorf("broker: no usable log directory: %w", errors.Join(errs...))
}

// openFailed handles a partition that failed to open in dir for an I/O
// error: as Kafka, the directory goes offline, and the partition is an
// offline replica (KAFKA_STORAGE_ERROR). Other errors are returned as
// they are.
func (b *Broker) openFailed(topic string, index int32, dir string, err error) error {
	var pe *fs.PathError
	if !errors.As(err, &pe) && !errors.Is(err, kerr.KafkaStorageError) {
		return err
	}
	b.logDirFailed(dir, err)
	return b.cannotOpen(topic, index, fmt.Errorf("%w: %w", kerr.KafkaStorageError, err))
}

// logDirFailed marks dir offline after a failed write and wakes the
// handler. It is called with a partition's lock held (OnStorageError):
// dirMu is a leaf lock and the signal never blocks.
func (b *Broker) logDirFailed(dir string, err error) {
	b.dirMu.Lock()
	defer b.dirMu.Unlock()
	if _, ok := b.offlineDirs[dir]; !ok {
		b.offlineDirs[dir] = err
		b.log.Error("log directory offline: a write to it failed; its partitions go offline until the broker restarts", "dir", dir, "err", err)
	}
	b.signalDirEvent()
}

// signalDirEvent wakes handleLogDirFailures; dirMu held or not.
func (b *Broker) signalDirEvent() {
	select {
	case b.dirEvents <- struct{}{}:
	default:
	}
}

// offlineLogDirs is a copy of the offline directories.
func (b *Broker) offlineLogDirs() map[string]error {
	b.dirMu.Lock()
	defer b.dirMu.Unlock()
	return maps.Clone(b.offlineDirs)
}

// placePartition is the directory a partition's log opens in: where it
// already is, else the online log directory holding the fewest
// partitions. A partition on an offline directory, or with every
// directory offline, cannot open: KAFKA_STORAGE_ERROR, and it is counted
// among the offline replicas. So is one that is not new (isNew: created
// while this broker runs) when an offline directory cannot tell whether
// it holds it (unreadable, or not a directory): as in Kafka, which
// refuses to make such a log elsewhere while a directory is offline
// (it would come back empty, as a leader too).
func (b *Broker) placePartition(topic string, index int32, isNew bool) (string, error) {
	name := topic + "-" + strconv.Itoa(int(index))
	offline := b.offlineLogDirs()
	best, bestN := "", -1
	for _, d := range b.cfg.LogDirs {
		d = filepath.Clean(d)
		_, isOffline := offline[d]
		_, err := os.Stat(filepath.Join(d, name))
		switch {
		case err == nil && !isOffline:
			return filepath.Join(d, name), nil
		case err == nil && isOffline:
			return "", b.cannotOpen(topic, index, fmt.Errorf("broker: %s is on the offline log directory %s: %w", name, d, kerr.KafkaStorageError))
		case isOffline && !isNew && !errors.Is(err, os.ErrNotExist):
			return "", b.cannotOpen(topic, index, fmt.Errorf("broker: %s may be on the offline log directory %s (%v): %w", name, d, err, kerr.KafkaStorageError))
		case isOffline:
			continue
		}
		entries, _ := os.ReadDir(d)
		if bestN < 0 || len(entries) < bestN {
			best, bestN = d, len(entries)
		}
	}
	if best == "" {
		return "", b.cannotOpen(topic, index, fmt.Errorf("broker: %s: every log directory is offline: %w", name, kerr.KafkaStorageError))
	}
	return filepath.Join(best, name), nil
}

// cannotOpen records a partition that has no online directory as an
// offline replica, and returns err.
func (b *Broker) cannotOpen(topic string, index int32, err error) error {
	b.dirMu.Lock()
	b.unopened[stateKey{topic, index}] = true
	b.dirMu.Unlock()
	b.signalDirEvent()
	return err
}

// isOfflineReplica reports whether this broker's replica of the partition
// is offline: it could not open, or its directory failed.
func (b *Broker) isOfflineReplica(topic string, index int32) bool {
	b.dirMu.Lock()
	defer b.dirMu.Unlock()
	return b.unopened[stateKey{topic, index}]
}

// handleLogDirFailures takes offline what is on failed log directories
// and tells the controller, until ctx ends.
func (b *Broker) handleLogDirFailures(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-b.dirEvents:
		}
		b.takeDirsOffline()
		for ctx.Err() == nil {
			err := b.publishOfflineReplicas()
			if err == nil {
				break
			}
			b.log.Warn("telling the controller about offline replicas", "err", err)
			if !sleepCtx(ctx, time.Second) {
				return
			}
		}
	}
}

// takeDirsOffline takes every local partition on an offline log directory
// offline: no role (its fetcher stopped, the group manager too if it was
// an offsets partition), its log closed.
func (b *Broker) takeDirsOffline() {
	offline := b.offlineLogDirs()
	for _, p := range b.localPartitions() {
		if _, ok := offline[filepath.Dir(p.Dir())]; !ok {
			continue
		}
		b.roleMu.Lock()
		stop := p.TakeOffline()
		if stop != nil {
			stop()
		}
		if p.Topic() == offsetsTopic {
			b.syncGroupManager(p.Index())
		}
		b.roleMu.Unlock()
		if err := p.Close(); err != nil {
			b.log.Warn("closing an offline partition", "topic", p.Topic(), "partition", p.Index(), "err", err)
		}
	}
}

// offlineReplicas are this broker's offline partitions, by topic, sorted.
func (b *Broker) offlineReplicas() map[string][]int32 {
	out := map[string][]int32{}
	for _, p := range b.localPartitions() {
		if p.Offline() {
			out[p.Topic()] = append(out[p.Topic()], p.Index())
		}
	}
	b.dirMu.Lock()
	for k := range b.unopened {
		if !slices.Contains(out[k.topic], k.index) {
			out[k.topic] = append(out[k.topic], k.index)
		}
	}
	b.dirMu.Unlock()
	for t := range out {
		slices.Sort(out[t])
	}
	return out
}

// registration is what /brokers/ids/<id> holds: the endpoints, and the
// offline log directories and replicas once there are any.
func (b *Broker) registration() brokerInfo {
	info := newBrokerInfo()
	b.registeredEndpoints(&info)
	for d := range b.offlineLogDirs() {
		info.OfflineLogDirs = append(info.OfflineLogDirs, d)
	}
	slices.Sort(info.OfflineLogDirs)
	if off := b.offlineReplicas(); len(off) > 0 {
		info.OfflineReplicas = off
	}
	return info
}

// publishOfflineReplicas writes the registration with the offline
// replicas and notifies the controller as Kafka's brokers do.
func (b *Broker) publishOfflineReplicas() error {
	info := b.registration()
	if err := b.meta.updateRegistration(b.cfg.BrokerID, info); err != nil {
		return err
	}
	b.log.Warn("offline replicas registered for the controller", "offline_log_dirs", info.OfflineLogDirs, "offline_replicas", info.OfflineReplicas)
	return b.meta.notifyLogDirEvent(b.cfg.BrokerID)
}

// onlinePartitions filters out the offline partitions.
func onlinePartitions(ps []*partition.Partition) []*partition.Partition {
	return slices.DeleteFunc(ps, (*partition.Partition).Offline)
}

package group

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// Record versions written; see doc.go. Keys 0 and 1 are offset commits,
// key 2 is group metadata, as in Kafka.
const (
	offsetKeyVersion   = 1
	offsetValueVersion = 3
	groupKeyVersion    = 2
	groupValueVersion  = 3
)

func offsetKey(group, topic string, partition int32) []byte {
	k := kmsg.NewOffsetCommitKey()
	k.Version = offsetKeyVersion
	k.Group, k.Topic, k.Partition = group, topic, partition
	return k.AppendTo(nil)
}

func offsetValue(o offset) []byte {
	v := kmsg.NewOffsetCommitValue()
	v.Version = offsetValueVersion
	v.Offset = o.offset
	v.LeaderEpoch = o.leaderEpoch
	v.Metadata = o.metadata
	v.CommitTimestamp = o.commitMillis
	return v.AppendTo(nil)
}

func groupMetadataKey(group string) []byte {
	k := kmsg.NewGroupMetadataKey()
	k.Version = groupKeyVersion
	k.Group = group
	return k.AppendTo(nil)
}

// groupMetadataRecord snapshots g; c.mu must be held.
func groupMetadataRecord(g *group) (key, value []byte) {
	v := kmsg.NewGroupMetadataValue()
	v.Version = groupValueVersion
	v.ProtocolType = g.protocolType
	v.Generation = g.generation
	if g.protocol != "" {
		p := g.protocol
		v.Protocol = &p
	}
	if g.leader != "" {
		l := g.leader
		v.Leader = &l
	}
	v.CurrentStateTimestamp = g.stateSince.UnixMilli()
	for _, m := range g.members {
		vm := kmsg.NewGroupMetadataValueMember()
		vm.MemberID = m.id
		vm.InstanceID = m.instanceID
		vm.ClientID = m.clientID
		vm.ClientHost = m.clientHost
		vm.RebalanceTimeoutMillis = int32(m.rebalanceTimeout.Milliseconds())
		vm.SessionTimeoutMillis = int32(m.sessionTimeout.Milliseconds())
		vm.Subscription = m.metadataFor(g.protocol)
		vm.Assignment = m.assignment
		v.Members = append(v.Members, vm)
	}
	return groupMetadataKey(g.name), v.AppendTo(nil)
}

// apply replays one record of the offsets log into memory. Members are not
// restored: a replayed group is Empty at its last generation.
func (c *Manager) apply(key, value []byte) error {
	if len(key) < 2 {
		return fmt.Errorf("key of %d bytes", len(key))
	}
	switch version := int16(binary.BigEndian.Uint16(key)); version {
	case 0, 1:
		k := kmsg.NewOffsetCommitKey()
		if err := k.ReadFrom(key); err != nil {
			return fmt.Errorf("offset commit key: %w", err)
		}
		g := c.replayGroup(k.Group)
		tp := topicPartition{k.Topic, k.Partition}
		if value == nil {
			delete(g.offsets, tp)
			return nil
		}
		v := kmsg.NewOffsetCommitValue()
		if err := v.ReadFrom(value); err != nil {
			return fmt.Errorf("offset commit value for %s/%s/%d: %w", k.Group, k.Topic, k.Partition, err)
		}
		if v.Version < 3 {
			v.LeaderEpoch = -1
		}
		g.offsets[tp] = offset{offset: v.Offset, leaderEpoch: v.LeaderEpoch, metadata: v.Metadata, commitMillis: v.CommitTimestamp}
	case 2:
		k := kmsg.NewGroupMetadataKey()
		if err := k.ReadFrom(key); err != nil {
			return fmt.Errorf("group metadata key: %w", err)
		}
		g := c.replayGroup(k.Group)
		if value == nil {
			g.persisted = false
			g.generation = 0
			g.protocolType = ""
			return nil
		}
		v := kmsg.NewGroupMetadataValue()
		if err := v.ReadFrom(value); err != nil {
			return fmt.Errorf("group metadata value for %s: %w", k.Group, err)
		}
		g.persisted = true
		g.generation = v.Generation
		g.protocolType = v.ProtocolType
		// Every replayed group is Empty; as Kafka's, its offsets' retention
		// counts from the state change the record was written at.
		if v.CurrentStateTimestamp > 0 {
			g.stateSince = time.UnixMilli(v.CurrentStateTimestamp)
		}
	default:
		// A newer Kafka's record kind (e.g. consumer-protocol groups); the
		// classic group manager has nothing to do with it.
		c.log.Warn("skipping offsets log record of unknown key version", "version", version)
	}
	return nil
}

func (c *Manager) replayGroup(name string) *group {
	if g := c.groups[name]; g != nil {
		return g
	}
	return c.newGroup(name)
}

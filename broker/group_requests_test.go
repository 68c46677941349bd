package broker

import (
	"context"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/broker/group"
)

// memStore is an offsets log in memory.
type memStore struct{ keys, values [][]byte }

func (s *memStore) Append(_ context.Context, key, value []byte) error {
	s.keys, s.values = append(s.keys, key), append(s.values, value)
	return nil
}

func (s *memStore) Replay(f func(key, value []byte) error) error {
	for i := range s.keys {
		if err := f(s.keys[i], s.values[i]); err != nil {
			return err
		}
	}
	return nil
}

// TestGroupRouting: with four offsets partitions, of which this broker
// leads three (one loaded, one loading, one that failed to load), each
// group's requests get its partition's manager or Kafka's error for it:
// NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE;
// DescribeGroups and OffsetFetch v8 answer group by group, and ListGroups
// lists the loaded groups with COORDINATOR_LOAD_IN_PROGRESS.
func TestGroupRouting(t *testing.T) {
	const n = 4
	byPart := map[int32]string{}
	for i := 0; len(byPart) < n; i++ {
		g := string(rune('a' + i))
		if _, ok := byPart[group.PartitionFor(g, n)]; !ok {
			byPart[group.PartitionFor(g, n)] = g
		}
	}
	loaded, loading, failed, elsewhere := byPart[0], byPart[1], byPart[2], byPart[3]
	m, err := group.New(&memStore{}, group.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b := &Broker{
		topics: map[string]*topicState{offsetsTopic: {name: offsetsTopic, states: make([]partitionState, n)}},
		groups: map[int32]*offsetsShard{0: {m: m}, 1: {}, 2: {failed: true}},
	}
	ctx := context.Background()
	commit := func(g string) int16 {
		req := kmsg.NewPtrOffsetCommitRequest()
		req.Version, req.Group, req.Generation = 8, g, -1
		rt := kmsg.NewOffsetCommitRequestTopic()
		rt.Topic = "work"
		rt.Partitions = []kmsg.OffsetCommitRequestTopicPartition{{Partition: 0, Offset: 5}}
		req.Topics = append(req.Topics, rt)
		return b.forGroup(ctx, req, g).(*kmsg.OffsetCommitResponse).Topics[0].Partitions[0].ErrorCode
	}
	want := map[string]int16{loaded: 0, loading: kerr.CoordinatorLoadInProgress.Code,
		failed: kerr.CoordinatorNotAvailable.Code, elsewhere: kerr.NotCoordinator.Code}
	for g, code := range want {
		if got := commit(g); got != code {
			t.Errorf("OffsetCommit of %q (partition %d): %v, want %v", g, group.PartitionFor(g, n), kerr.ErrorForCode(got), kerr.ErrorForCode(code))
		}
	}

	dg := kmsg.NewPtrDescribeGroupsRequest()
	dg.Version, dg.Groups = 5, []string{loaded, loading, failed, elsewhere}
	resp, _ := b.handleGroup(ctx, nil, &request{key: kmsg.DescribeGroups, kreq: dg})
	for i, rg := range resp.(*kmsg.DescribeGroupsResponse).Groups {
		if rg.Group != dg.Groups[i] || rg.ErrorCode != want[rg.Group] {
			t.Errorf("DescribeGroups answer %d: %q %v, want %q %v", i, rg.Group, kerr.ErrorForCode(rg.ErrorCode), dg.Groups[i], kerr.ErrorForCode(want[dg.Groups[i]]))
		}
	}

	of := kmsg.NewPtrOffsetFetchRequest()
	of.Version = 8
	for _, g := range dg.Groups {
		rg := kmsg.NewOffsetFetchRequestGroup()
		rg.Group = g
		of.Groups = append(of.Groups, rg)
	}
	resp, _ = b.handleGroup(ctx, nil, &request{key: kmsg.OffsetFetch, kreq: of})
	ofr := resp.(*kmsg.OffsetFetchResponse)
	if len(ofr.Groups) != len(of.Groups) {
		t.Fatalf("OffsetFetch v8 answered %d groups for %d", len(ofr.Groups), len(of.Groups))
	}
	for i, rg := range ofr.Groups {
		if rg.Group != dg.Groups[i] || rg.ErrorCode != want[rg.Group] {
			t.Errorf("OffsetFetch v8 answer %d: %q %v", i, rg.Group, kerr.ErrorForCode(rg.ErrorCode))
		}
		if rg.Group == loaded && (len(rg.Topics) != 1 || rg.Topics[0].Partitions[0].Offset != 5) {
			t.Errorf("OffsetFetch v8 of %q: %+v, want offset 5 of work-0", rg.Group, rg.Topics)
		}
	}

	lg := kmsg.NewPtrListGroupsRequest()
	lg.Version = 4
	resp, _ = b.handleGroup(ctx, nil, &request{key: kmsg.ListGroups, kreq: lg})
	lgr := resp.(*kmsg.ListGroupsResponse)
	if lgr.ErrorCode != kerr.CoordinatorLoadInProgress.Code || len(lgr.Groups) != 1 || lgr.Groups[0].Group != loaded {
		t.Errorf("ListGroups: %v %+v, want COORDINATOR_LOAD_IN_PROGRESS and group %q", kerr.ErrorForCode(lgr.ErrorCode), lgr.Groups, loaded)
	}
}

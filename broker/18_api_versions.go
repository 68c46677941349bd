package broker

import "github.com/twmb/franz-go/pkg/kmsg"

// apiRange is the versions of one API this broker implements.
type apiRange struct{ min, max int16 }

// supported is exactly what this broker implements, and what ApiVersions
// advertises. Versions are capped where a later version would change what
// a handler must do (Fetch v13 switches to topic ids, Produce v10+ adds
// fields we do not fill, …).
var supported = map[int16]apiRange{
	0:  {0, 9},  // Produce
	1:  {4, 12}, // Fetch
	2:  {0, 7},  // ListOffsets
	3:  {0, 12}, // Metadata
	8:  {0, 8},  // OffsetCommit
	9:  {0, 8},  // OffsetFetch
	10: {0, 4},  // FindCoordinator
	11: {0, 9},  // JoinGroup
	12: {0, 4},  // Heartbeat
	13: {0, 5},  // LeaveGroup
	14: {0, 5},  // SyncGroup
	15: {0, 5},  // DescribeGroups
	16: {0, 4},  // ListGroups
	18: {0, 3},  // ApiVersions
	19: {0, 7},  // CreateTopics
	20: {0, 6},  // DeleteTopics
	22: {0, 4},  // InitProducerId
	23: {0, 4},  // OffsetForLeaderEpoch
	32: {0, 4},  // DescribeConfigs
	37: {0, 3},  // CreatePartitions
	42: {0, 2},  // DeleteGroups
}

// versionSupported reports whether this broker implements key at version.
func versionSupported(key, version int16) bool {
	r, ok := supported[key]
	return ok && version >= r.min && version <= r.max
}

func (b *Broker) apiVersions(r *request) kmsg.Response {
	resp := kmsg.NewPtrApiVersionsResponse()
	version := r.version
	if !versionSupported(18, version) {
		// KIP-511: answer an unknown ApiVersions version with v0 and
		// UNSUPPORTED_VERSION, listing what we have.
		version = 0
		resp.ErrorCode = 35
	}
	resp.SetVersion(version)
	for key := int16(0); key < 100; key++ {
		rg, ok := supported[key]
		if !ok {
			continue
		}
		k := kmsg.NewApiVersionsResponseApiKey()
		k.ApiKey, k.MinVersion, k.MaxVersion = key, rg.min, rg.max
		resp.ApiKeys = append(resp.ApiKeys, k)
	}
	return resp
}

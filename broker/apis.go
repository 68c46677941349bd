package broker

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicelogs/sluice/broker/group"
)

// handler is the one signature of every API handler (one per NN_name.go
// file, named by API key as in franz-go's kfake): it answers r, which
// arrived on c. A nil response sends nothing (Produce with acks=0); an
// error closes the connection.
type handler func(b *Broker, ctx context.Context, c *conn, r *request) (kmsg.Response, error)

// api is one API this broker implements: the versions ApiVersions
// advertises and parseRequest accepts, and its handler. Each handler file
// declares its api at the top, with what changes between the versions.
type api struct {
	key      kmsg.Key
	min, max int16
	handle   handler
	bodies   []*bodyLayout // by version - min, for checkBody (bodycheck.go)
}

// apiTable is every API this broker implements, by key: the one place
// ApiVersions, the request parser and the dispatch read.
type apiTable map[kmsg.Key]api

// newAPITable registers the handler files' apis and the consumer-group
// APIs (package group), which all go to handleGroup.
func newAPITable() apiTable {
	t := apiTable{}
	for _, a := range []api{produceAPI, fetchAPI, listOffsetsAPI, metadataAPI, findCoordinatorAPI, apiVersionsAPI,
		createTopicsAPI, deleteTopicsAPI, initProducerIDAPI, offsetForLeaderEpochAPI, describeConfigsAPI, createPartitionsAPI,
		alterConfigsAPI, incrementalAlterConfigsAPI, describeClusterAPI, deleteRecordsAPI, describeLogDirsAPI, offsetDeleteAPI,
		electLeadersAPI, alterPartitionReassignmentsAPI, listPartitionReassignmentsAPI,
		saslHandshakeAPI, saslAuthenticateAPI, describeUserScramCredentialsAPI, alterUserScramCredentialsAPI, describeClientQuotasAPI,
		describeACLsAPI, createACLsAPI, deleteACLsAPI} {
		t[a.key] = a
	}
	for _, g := range group.APIs() {
		t[g.Key] = api{key: g.Key, min: g.Min, max: g.Max, handle: (*Broker).handleGroup}
	}
	for key, a := range t {
		for v := a.min; v <= a.max; v++ {
			bl, err := newBodyLayout(key, v)
			if err != nil { // kmsg has a field kind bodycheck.go does not know: TestAPITable fails
				panic(fmt.Sprintf("broker: learning the request layouts: %v", err))
			}
			a.bodies = append(a.bodies, bl)
		}
		t[key] = a
	}
	return t
}

// checkBody refuses a request body whose decoding would allocate more
// than maxDecodeRatio times the frame (bodycheck.go); frameLen is the
// whole request's size.
func (t apiTable) checkBody(key kmsg.Key, version int16, body []byte, frameLen int) error {
	a := t[key]
	return a.bodies[version-a.min].check(body, maxDecodeRatio*int64(frameLen)+decodeSlack)
}

// supports reports whether this broker implements key at version.
func (t apiTable) supports(key kmsg.Key, version int16) bool {
	a, ok := t[key]
	return ok && version >= a.min && version <= a.max
}

// handle answers one request; an error closes the connection.
func (b *Broker) handle(ctx context.Context, c *conn, r *request) (kmsg.Response, error) {
	a, ok := b.apis[r.key]
	if !ok { // parseRequest refuses these: not reached
		return nil, fmt.Errorf("%w: %s", errUnsupported, r.key.Name())
	}
	return a.handle(b, ctx, c, r)
}

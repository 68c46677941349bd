package broker

import (
	"context"
	"slices"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// ApiVersions v0–v3 lists, from the API table, every key this broker
// implements with its version range. v3 is flexible in its body, but its
// response header never is (KIP-511). A version this broker does not know
// is answered by the connection (see conn.serve) with v0, UNSUPPORTED_VERSION
// and the same list, so the client retries with one it knows.
var apiVersionsAPI = api{key: kmsg.ApiVersions, min: 0, max: 3, handle: (*Broker).handleApiVersions}

func (b *Broker) handleApiVersions(_ context.Context, _ *conn, r *request) (kmsg.Response, error) {
	return b.apiVersions(r.version), nil
}

// apiVersions builds the ApiVersions response for a request of version.
func (b *Broker) apiVersions(version int16) kmsg.Response {
	resp := kmsg.NewPtrApiVersionsResponse()
	if !b.apis.supports(kmsg.ApiVersions, version) {
		version = 0
		resp.ErrorCode = kerr.UnsupportedVersion.Code
	}
	resp.SetVersion(version)
	keys := make([]kmsg.Key, 0, len(b.apis))
	for k := range b.apis {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, key := range keys {
		a := b.apis[key]
		k := kmsg.NewApiVersionsResponseApiKey()
		k.ApiKey, k.MinVersion, k.MaxVersion = key.Int16(), a.min, a.max
		resp.ApiKeys = append(resp.ApiKeys, k)
	}
	return resp
}

package group

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// API is one consumer-group API: its key, the versions handled and the
// handler. Each handler file (NN_name.go) declares its API at the top; the
// broker advertises these versions in ApiVersions and routes the requests
// of these keys to Handle.
type API struct {
	Key      kmsg.Key
	Min, Max int16
	handle   func(c *Manager, ctx context.Context, req kmsg.Request) kmsg.Response
}

// APIs lists the consumer-group APIs, one per handler file.
func APIs() []API {
	return []API{offsetCommitAPI, offsetFetchAPI, joinGroupAPI, heartbeatAPI, leaveGroupAPI,
		syncGroupAPI, describeGroupsAPI, listGroupsAPI, deleteGroupsAPI}
}

// Handle answers req, a request of one of the keys APIs lists (nil for
// any other key). The broker checked its version against the API's range.
func (c *Manager) Handle(ctx context.Context, req kmsg.Request) kmsg.Response {
	for _, a := range APIs() {
		if a.Key.Int16() == req.Key() {
			return a.handle(c, ctx, req)
		}
	}
	return nil
}

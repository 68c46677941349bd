package broker

import (
	"context"
	"slices"
	"strconv"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// DescribeClientQuotas v0–v1 (v1 flexible), for the user entities only,
// so that kafka-configs.sh --bootstrap-server --entity-type users
// --describe (which asks for a user's quotas before its SCRAM credentials)
// works: the quota keys Kafka keeps in /config/users/<user> (next to the
// credentials) of the user named (exact match), of the default user
// (<default>), or of every user (any). Client quotas are not enforced by
// sluice, and client-id entities are refused with INVALID_REQUEST.
var describeClientQuotasAPI = api{key: kmsg.DescribeClientQuotas, min: 0, max: 1, handle: (*Broker).handleDescribeClientQuotas}

// quotaKeys are the client quota keys Kafka keeps in an entity's config.
var quotaKeys = []string{"consumer_byte_rate", "controller_mutation_rate", "producer_byte_rate", "request_percentage"}

func (b *Broker) handleDescribeClientQuotas(_ context.Context, _ *conn, r *request) (kmsg.Response, error) {
	req := r.kreq.(*kmsg.DescribeClientQuotasRequest)
	resp := req.ResponseKind().(*kmsg.DescribeClientQuotasResponse)
	fail := func(code *kerr.Error, msg string) (kmsg.Response, error) {
		resp.ErrorCode, resp.ErrorMessage = code.Code, &msg
		return resp, nil
	}
	if len(req.Components) != 1 || req.Components[0].EntityType != "user" {
		return fail(kerr.InvalidRequest, "sluice describes the quotas of user entities only")
	}
	comp := req.Components[0]
	resp.Entries = []kmsg.DescribeClientQuotasResponseEntry{} // nullable: null is an error's
	var users []string
	switch comp.MatchType {
	case kmsg.QuotasMatchTypeExact:
		if comp.Match == nil {
			return fail(kerr.InvalidRequest, "exact match without a name")
		}
		users = []string{*comp.Match}
	case kmsg.QuotasMatchTypeDefault:
		users = []string{defaultBrokerEntity} // <default>, as for brokers
	default: // any
		all, err := b.meta.scramUsers()
		if err != nil {
			return fail(kerr.UnknownServerError, err.Error())
		}
		users = all
	}
	for _, user := range users {
		cfg, _, err := b.meta.entityConfig(userEntity(user))
		if err != nil {
			return fail(kerr.UnknownServerError, err.Error())
		}
		entry := kmsg.NewDescribeClientQuotasResponseEntry()
		for _, k := range quotaKeys {
			v, ok := cfg[k]
			if !ok {
				continue
			}
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				continue
			}
			val := kmsg.NewDescribeClientQuotasResponseEntryValue()
			val.Key, val.Value = k, f
			entry.Values = append(entry.Values, val)
		}
		if len(entry.Values) == 0 {
			continue
		}
		ent := kmsg.NewDescribeClientQuotasResponseEntryEntity()
		ent.Type = "user"
		if user != defaultBrokerEntity {
			ent.Name = &user
		}
		entry.Entity = append(entry.Entity, ent)
		resp.Entries = append(resp.Entries, entry)
	}
	slices.SortFunc(resp.Entries, func(a, b kmsg.DescribeClientQuotasResponseEntry) int {
		return compareNames(a.Entity[0].Name, b.Entity[0].Name)
	})
	return resp, nil
}

func compareNames(a, b *string) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	case *a < *b:
		return -1
	case *a > *b:
		return 1
	}
	return 0
}

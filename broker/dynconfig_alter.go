package broker

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// alterBrokerConfigs checks and writes the dynamic configs of broker
// entity name (its id, or "" for every broker's defaults), as change
// makes them from the current ones; validateOnly writes nothing.
func (b *Broker) alterBrokerConfigs(name string, validateOnly bool, change func(map[string]string) (map[string]string, error)) error {
	if err := b.checkBrokerResource(name); err != nil {
		return err
	}
	entity, resource := "brokers/"+name, fmt.Sprintf("ConfigResource(type=BROKER, name='%s')", name)
	if name == "" {
		entity = "brokers/" + defaultBrokerEntity
	}
	checked := func(cur map[string]string) (map[string]string, error) {
		next, err := change(cur)
		if err != nil {
			return nil, err
		}
		if err := b.checkBrokerConfigChange(resource, name == "", cur, next); err != nil {
			return nil, err
		}
		return next, nil
	}
	if validateOnly {
		cur, _, err := b.meta.entityConfig(entity)
		if err != nil {
			return err
		}
		_, err = checked(cur)
		return err
	}
	if err := b.meta.alterEntityConfig(entity, checked); err != nil {
		if errMessage(err) == nil {
			b.log.Error("alter broker config", "entity", entity, "err", err)
		}
		return err
	}
	b.loadBrokerConfigs() // the notification does it too; here the client sees it applied at once
	return nil
}

// checkBrokerConfigChange validates the keys next sets anew or changes
// from cur as Kafka does (the ones kept were checked when set): first
// that each may be altered dynamically, then its value, then the broker's
// config as it would be with them.
func (b *Broker) checkBrokerConfigChange(resource string, isDefault bool, cur, next map[string]string) error {
	var changed, readOnly []string
	for _, k := range slices.Sorted(maps.Keys(next)) {
		if v, ok := cur[k]; !ok || v != next[k] {
			changed = append(changed, k)
		}
	}
	for _, k := range changed {
		if d, ok := brokerConfigDefByName(k); ok && d.readOnly {
			readOnly = append(readOnly, k)
		}
	}
	if len(readOnly) > 0 {
		return kafkaErrorf(kerr.InvalidConfig, "Invalid config value for resource %s: Cannot update these configs dynamically: Set(%s)",
			resource, strings.Join(readOnly, ", "))
	}
	for _, k := range changed {
		if !slices.Contains(throttleRateKeys, k) && !slices.Contains(actedLogKeys, k) && !slices.Contains(storedLogKeys, k) {
			return kafkaErrorf(kerr.InvalidRequest, "sluice reads broker config %s from server.properties only: the dynamic broker configs it takes are the log defaults (log.retention.ms, log.segment.bytes, …), the connection quotas and the replication throttle rates", k)
		}
		lim := brokerConfigLimits[k]
		if slices.Contains(throttleRateKeys, k) {
			lim = configLimit{min: i64(0)}
		}
		if why := checkValue(k, next[k], brokerConfigType(k), lim); why != "" {
			return kafkaErrorf(kerr.InvalidConfig, "Invalid config value for resource %s: Invalid value %s for configuration %s: %s", resource, next[k], k, why)
		}
	}
	own, global := b.dynamicSnapshot()
	if isDefault {
		global = next
	} else {
		own = next
	}
	eff, bad := withDynamic(b.cfg, global, own)
	for _, k := range changed {
		if err := bad[k]; err != nil {
			return kafkaErrorf(kerr.InvalidConfig, "Invalid config value for resource %s: %s", resource, errMessageText(err))
		}
	}
	if err := eff.Validate(); err != nil {
		return kafkaErrorf(kerr.InvalidConfig, "Invalid config value for resource %s: %v", resource, err)
	}
	return nil
}

func errMessageText(err error) string {
	if m := errMessage(err); m != nil {
		return *m
	}
	return err.Error()
}

// dynamicBrokerConfigDef is how IncrementalAlterConfigs treats a broker
// config: with Kafka's type (APPEND and SUBTRACT take LIST ones only)
// and default; a name Kafka does not know as a LONG, refused when
// checked.
func dynamicBrokerConfigDef(name string) (topicConfigDef, bool) {
	d := topicConfigDef{name: name, typ: brokerConfigType(name)}
	if bd, ok := brokerConfigDefByName(name); ok && bd.def != nil {
		d.def = *bd.def
	}
	return d, true
}

// brokerConfigDefByName looks one of Kafka's broker configs up
// (brokerConfigDefs is sorted by name).
func brokerConfigDefByName(name string) (brokerConfigDef, bool) {
	i, ok := slices.BinarySearchFunc(brokerConfigDefs, name, func(d brokerConfigDef, n string) int { return strings.Compare(d.name, n) })
	if !ok {
		return brokerConfigDef{}, false
	}
	return brokerConfigDefs[i], true
}

// brokerConfigType is a broker config's type; the throttle rates, which
// Kafka keeps apart from its broker configs, are LONG.
func brokerConfigType(name string) kmsg.ConfigType {
	if d, ok := brokerConfigDefByName(name); ok {
		return d.typ
	}
	return tLong
}

// brokerSynonymKeys are the broker configs that set name, most specific
// first, as Kafka's DynamicBrokerConfig.brokerConfigSynonyms lists them
// (sluice reads no listener-prefixed synonyms from them).
func brokerSynonymKeys(name string) []string {
	switch name {
	case "log.retention.ms":
		return []string{name, "log.retention.minutes", "log.retention.hours"}
	case "log.roll.ms":
		return []string{name, "log.roll.hours"}
	case "log.roll.jitter.ms":
		return []string{name, "log.roll.jitter.hours"}
	case "log.flush.interval.ms":
		return []string{name, "log.flush.scheduler.interval.ms"}
	}
	return []string{name}
}

package pipelines

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// geoipProperties are the properties each kind of database can give, and
// the ones written when properties is not set (Elasticsearch 8's).
var geoipProperties = map[geoipKind]struct{ valid, defaults []string }{
	geoipCity: {
		valid: []string{"ip", "country_iso_code", "country_name", "continent_code", "continent_name",
			"region_iso_code", "region_name", "city_name", "timezone", "location", "postal_code", "accuracy_radius"},
		defaults: []string{"continent_name", "country_iso_code", "country_name", "region_iso_code",
			"region_name", "city_name", "location"},
	},
	geoipCountry: {
		valid:    []string{"ip", "continent_code", "continent_name", "country_iso_code", "country_name"},
		defaults: []string{"continent_name", "country_iso_code", "country_name"},
	},
	geoipASN: {
		valid:    []string{"ip", "asn", "organization_name", "network"},
		defaults: []string{"asn", "organization_name", "network"},
	},
}

// buildGeoIP compiles geoip (Elasticsearch's): the IP address in field
// (or each of a list of them) looked up in the MaxMind database
// database_file (default GeoLite2-City.mmdb) of the geoip database
// directory (Options.GeoIPDatabaseDirectory), the properties found
// written as an object to target_field (default geoip). An address the
// database does not hold writes nothing. With a list, first_only (the
// default) writes the first address's properties that were found, else a
// list of every found one's. The database is opened and checked when the
// definition loads, once for every processor of the Load naming it.
func buildGeoIP(o *opts, ignoreMissing bool) doFunc {
	field := newPath(o.required("field"))
	target := newPath(o.str("target_field", "geoip"))
	firstOnly := o.boolean("first_only", true)
	o.boolean("download_database_on_pipeline_creation", true) // accepted: sluice never downloads
	name := o.str("database_file", "GeoLite2-City.mmdb")
	props := o.strs("properties")
	db, err := o.d.l.geoipDatabase(o.d.abs, name)
	if err != nil {
		o.errorf(o.keys["database_file"][1], "%v", err)
		return nil
	}
	spec := geoipProperties[db.kind]
	if o.node("properties") == nil {
		props = spec.defaults
	}
	want := map[string]bool{}
	for _, p := range props {
		p = strings.ToLower(p)
		if !slices.Contains(spec.valid, p) {
			o.errorf(o.keys["properties"][1], "properties: illegal property value [%s]. valid values are %v", p, spec.valid)
			continue
		}
		want[p] = true
	}
	lookup := func(v any) (map[string]any, error) {
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("field [%s] should contain only string or array of strings", field)
		}
		ip, err := netip.ParseAddr(s)
		if err != nil || ip.Zone() != "" {
			return nil, fmt.Errorf("'%s' is not an IP string literal.", s)
		}
		all, err := db.lookup(ip.Unmap())
		if err != nil || all == nil {
			return nil, err
		}
		out := map[string]any{}
		for k, v := range all {
			if want[k] {
				out[k] = v
			}
		}
		if len(out) == 0 {
			return nil, nil
		}
		return out, nil
	}
	return func(ev Event, _ *state) error {
		v, ok := field.get(ev)
		if !ok || v == nil {
			if ignoreMissing {
				return nil
			}
			if ok {
				return fmt.Errorf("field [%s] is null, cannot extract geoip information.", field)
			}
			return missingError(field)
		}
		list, isList := v.([]any)
		if !isList {
			data, err := lookup(v)
			if err != nil || data == nil {
				return err
			}
			return target.set(ev, data)
		}
		var found []any
		for _, e := range list {
			data, err := lookup(e)
			if err != nil {
				return err
			}
			if data == nil {
				continue
			}
			if firstOnly {
				return target.set(ev, data)
			}
			found = append(found, data)
		}
		if len(found) == 0 {
			return nil
		}
		return target.set(ev, found)
	}
}

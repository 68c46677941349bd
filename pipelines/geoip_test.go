package pipelines

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sluicelogs/sluice/testkit/geoiptest"
)

// TestGeoIP runs geoip against the test databases of testkit/geoiptest.
func TestGeoIP(t *testing.T) {
	dir := geoiptest.Write(t, t.TempDir())
	linkoping := obj{"continent_name": "Europe", "country_iso_code": "SE", "country_name": "Sweden",
		"region_iso_code": "SE-E", "region_name": "Östergötland County", "city_name": "Linköping",
		"location": obj{"lat": 58.4167, "lon": 15.6167}}
	cases := []procCase{
		{"city defaults", `- geoip: {field: ip}`, Event{"ip": "89.160.20.128"},
			Event{"ip": "89.160.20.128", "geoip": linkoping}, ""},
		{"most specific subdivision", `- geoip: {field: ip, properties: [region_iso_code, region_name, city_name]}`,
			Event{"ip": "81.2.69.161"},
			Event{"ip": "81.2.69.161", "geoip": obj{"region_iso_code": "GB-WBK", "region_name": "West Berkshire", "city_name": "London"}}, ""},
		{"all city properties", `- geoip: {field: ip, target_field: g, properties: [IP, continent_code, timezone, accuracy_radius, location]}`,
			Event{"ip": "::ffff:89.160.20.130"},
			Event{"ip": "::ffff:89.160.20.130", "g": obj{"ip": "89.160.20.130", "continent_code": "EU",
				"timezone": "Europe/Stockholm", "accuracy_radius": int64(76), "location": obj{"lat": 58.4167, "lon": 15.6167}}}, ""},
		{"ipv6, no city", `- geoip: {field: ip}`, Event{"ip": "2001:480::1"},
			Event{"ip": "2001:480::1", "geoip": obj{"continent_name": "North America", "country_iso_code": "US",
				"country_name": "United States", "location": obj{"lat": 37.0, "lon": -97.0}}}, ""},
		{"not in the database", `- geoip: {field: ip}`, Event{"ip": "10.0.0.1"}, Event{"ip": "10.0.0.1"}, ""},
		{"none of the properties found", `- geoip: {field: ip, properties: [city_name]}`, Event{"ip": "2001:480::1"},
			Event{"ip": "2001:480::1"}, ""},
		{"asn", `- geoip: {field: ip, target_field: geo, database_file: GeoLite2-ASN.mmdb}`, Event{"ip": "89.160.20.128"},
			Event{"ip": "89.160.20.128", "geo": obj{"asn": int64(29518), "organization_name": "Bredband2 AB", "network": "89.160.20.128/25"}}, ""},
		{"asn ipv6 with ip", `- geoip: {field: ip, database_file: GeoLite2-ASN.mmdb, properties: [ip, network]}`, Event{"ip": "2001:480:0::10"},
			Event{"ip": "2001:480:0::10", "geoip": obj{"ip": "2001:480::10", "network": "2001:480::/32"}}, ""},
		{"country", `- geoip: {field: ip, database_file: GeoLite2-Country.mmdb}`, Event{"ip": "81.2.69.161"},
			Event{"ip": "81.2.69.161", "geoip": obj{"continent_name": "Europe", "country_iso_code": "GB", "country_name": "United Kingdom"}}, ""},
		{"list, first_only", `- geoip: {field: ips, database_file: GeoLite2-ASN.mmdb, properties: [asn]}`,
			Event{"ips": []any{"10.0.0.1", "8.8.8.8", "89.160.20.128"}},
			Event{"ips": []any{"10.0.0.1", "8.8.8.8", "89.160.20.128"}, "geoip": obj{"asn": int64(15169)}}, ""},
		{"list, all", `- geoip: {field: ips, database_file: GeoLite2-ASN.mmdb, properties: [asn], first_only: false}`,
			Event{"ips": []any{"10.0.0.1", "8.8.8.8", "89.160.20.128"}},
			Event{"ips": []any{"10.0.0.1", "8.8.8.8", "89.160.20.128"}, "geoip": []any{obj{"asn": int64(15169)}, obj{"asn": int64(29518)}}}, ""},
		{"list, none found", `- geoip: {field: ips, first_only: false}`, Event{"ips": []any{"10.0.0.1"}}, Event{"ips": []any{"10.0.0.1"}}, ""},
		{"replaces the target", `- geoip: {field: ip, properties: [country_iso_code]}`, Event{"ip": "89.160.20.128", "geoip": obj{"x": 1}},
			Event{"ip": "89.160.20.128", "geoip": obj{"country_iso_code": "SE"}}, ""},
		{"not an ip", `- geoip: {field: ip}`, Event{"ip": "nope"}, nil, "'nope' is not an IP string literal."},
		{"a number", `- geoip: {field: ip}`, Event{"ip": int64(1)}, nil, "should contain only string or array of strings"},
		{"missing", `- geoip: {field: ip}`, Event{}, nil, "field [ip] not present"},
		{"null", `- geoip: {field: ip}`, Event{"ip": nil}, nil, "field [ip] is null"},
		{"ignore_missing", `- geoip: {field: ip, ignore_missing: true}`, Event{"ip": nil}, Event{"ip": nil}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := Parse("geoip.yml", []byte("processors:\n"+indentYAML(c.procs)), Options{GeoIP: NewGeoIPDatabases(dir)})
			if err != nil {
				t.Fatal(err)
			}
			out, _, err := p.Run(c.in)
			switch {
			case c.err != "":
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want one containing %q (event %v)", err, c.err, out)
				}
			case err != nil:
				t.Fatalf("unexpected error: %v", err)
			case !reflect.DeepEqual(out, c.want):
				t.Fatalf("got  %#v\nwant %#v", out, c.want)
			}
		})
	}
}

// TestGeoIPDefinitionErrors: a database that is missing, corrupt or of
// another type, or a property its type lacks, is a definition error
// naming the file and line; nothing waits for the first event.
func TestGeoIPDefinitionErrors(t *testing.T) {
	dir := geoiptest.Write(t, t.TempDir())
	city, err := os.ReadFile(filepath.Join(dir, geoiptest.City))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cut.mmdb"), city[:len(city)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	mangled := append([]byte(nil), city...)
	for i := 0; i < 64 && i < len(mangled); i++ { // the search tree's first nodes
		mangled[i] ^= 0xFF
	}
	if err := os.WriteFile(filepath.Join(dir, "mangled.mmdb"), mangled, 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ procs, err string }{
		{`- geoip: {field: ip, database_file: GeoLite2-Absent.mmdb}`, "geoip.yml:2: processor geoip#0: geoip database: open " + dir + "/GeoLite2-Absent.mmdb"},
		{`- geoip: {field: ip, database_file: cut.mmdb}`, "geoip database " + dir + "/cut.mmdb"},
		{`- geoip: {field: ip, database_file: mangled.mmdb}`, "geoip database " + dir + "/mangled.mmdb: corrupt"},
		{`- geoip: {field: ip, database_file: ../x.mmdb}`, "database_file [../x.mmdb] is not a file name"},
		{`- geoip: {field: ip, properties: [asn]}`, "illegal property value [asn]"},
		{`- geoip: {field: ip, database_file: GeoLite2-ASN.mmdb, properties: [city_name]}`, "illegal property value [city_name]"},
	}
	for _, c := range cases {
		_, err := Parse("geoip.yml", []byte("processors:\n"+indentYAML(c.procs)), Options{GeoIP: NewGeoIPDatabases(dir)})
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s: error %v, want one containing %q", c.procs, err, c.err)
		}
	}
}

// TestGeoIPDatabaseShared: the processors of Loads given the same
// Options.GeoIP (as the indexer's routes are) share one reader per file,
// and without a directory the databases are looked up in ingest-geoip
// beside the definition.
func TestGeoIPDatabaseShared(t *testing.T) {
	dir := t.TempDir()
	geoiptest.Write(t, filepath.Join(dir, "ingest-geoip"))
	def := "processors:\n  - geoip: {field: a}\n  - geoip: {field: b, target_field: g2}\n"
	for _, f := range []string{"one.yml", "two.yml"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(def), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dbs := NewGeoIPDatabases("")
	for _, f := range []string{"one.yml", "two.yml"} {
		if _, err := Load(filepath.Join(dir, f), Options{GeoIP: dbs}); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(dbs.open); n != 1 {
		t.Fatalf("%d databases opened, want 1: %v", n, dbs.open)
	}
	ps, err := LoadDir(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := ps["one"].Run(Event{"a": "89.160.20.128", "b": "81.2.69.161"})
	if err != nil {
		t.Fatal(err)
	}
	if out["geoip"].(obj)["city_name"] != "Linköping" || out["g2"].(obj)["city_name"] != "London" {
		t.Fatalf("got %v", out)
	}
}

// Package geoiptest writes small MaxMind DB files for tests of the geoip
// processor, with github.com/maxmind/mmdbwriter: no real GeoLite2
// database is downloaded or shipped. The records follow the shape of
// MaxMind's City, Country and ASN databases; the places are those of
// Elasticsearch's documented examples (89.160.20.128 is Linköping).
//
//	address              City / Country                                  ASN
//	89.160.20.128/25     Europe, SE Sweden, SE-E Östergötland County,     29518 Bredband2 AB
//	                     Linköping, 58.4167 15.6167, Europe/Stockholm
//	81.2.69.160/27       Europe, GB United Kingdom, ENG England then      —
//	                     WBK West Berkshire (most specific), London
//	2001:480::/32        North America, US United States, 37 -97 (whole)  668 DoD Network Information Center
//	8.8.8.0/24           —                                                15169 Google LLC
package geoiptest

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// File names under which Write puts the databases, as MaxMind names them.
const (
	City    = "GeoLite2-City.mmdb"
	Country = "GeoLite2-Country.mmdb"
	ASN     = "GeoLite2-ASN.mmdb"
)

func names(en string) mmdbtype.Map {
	return mmdbtype.Map{"en": mmdbtype.String(en)}
}

func place(continentCode, continent, iso, country string) mmdbtype.Map {
	return mmdbtype.Map{
		"continent": mmdbtype.Map{"code": mmdbtype.String(continentCode), "names": names(continent)},
		"country":   mmdbtype.Map{"iso_code": mmdbtype.String(iso), "names": names(country)},
	}
}

func cityRecords() map[string]mmdbtype.Map {
	se := place("EU", "Europe", "SE", "Sweden")
	se["subdivisions"] = mmdbtype.Slice{mmdbtype.Map{"iso_code": mmdbtype.String("E"), "names": names("Östergötland County")}}
	se["city"] = mmdbtype.Map{"names": names("Linköping")}
	se["location"] = mmdbtype.Map{"latitude": mmdbtype.Float64(58.4167), "longitude": mmdbtype.Float64(15.6167),
		"time_zone": mmdbtype.String("Europe/Stockholm"), "accuracy_radius": mmdbtype.Uint16(76)}
	gb := place("EU", "Europe", "GB", "United Kingdom")
	gb["subdivisions"] = mmdbtype.Slice{
		mmdbtype.Map{"iso_code": mmdbtype.String("ENG"), "names": names("England")},
		mmdbtype.Map{"iso_code": mmdbtype.String("WBK"), "names": names("West Berkshire")},
	}
	gb["city"] = mmdbtype.Map{"names": names("London")}
	gb["location"] = mmdbtype.Map{"latitude": mmdbtype.Float64(51.5142), "longitude": mmdbtype.Float64(-0.0931)}
	us := place("NA", "North America", "US", "United States")
	us["location"] = mmdbtype.Map{"latitude": mmdbtype.Float64(37), "longitude": mmdbtype.Float64(-97)}
	return map[string]mmdbtype.Map{"89.160.20.128/25": se, "81.2.69.160/27": gb, "2001:480::/32": us}
}

func asnRecords() map[string]mmdbtype.Map {
	as := func(n uint32, org string) mmdbtype.Map {
		return mmdbtype.Map{"autonomous_system_number": mmdbtype.Uint32(n),
			"autonomous_system_organization": mmdbtype.String(org)}
	}
	return map[string]mmdbtype.Map{
		"89.160.20.128/25": as(29518, "Bredband2 AB"),
		"2001:480::/32":    as(668, "DoD Network Information Center"),
		"8.8.8.0/24":       as(15169, "Google LLC"),
	}
}

// Bytes returns one database: dbType is its metadata's database_type
// (GeoLite2-City, GeoLite2-Country or GeoLite2-ASN).
func Bytes(t testing.TB, dbType string) []byte {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: dbType, RecordSize: 24,
		Languages: []string{"en"}, Description: map[string]string{"en": "sluice test database"}})
	if err != nil {
		t.Fatalf("geoiptest: %v", err)
	}
	records := cityRecords()
	if dbType == "GeoLite2-ASN" {
		records = asnRecords()
	}
	for cidr, rec := range records {
		_, network, err := net.ParseCIDR(cidr)
		if err != nil {
			t.Fatalf("geoiptest: %v", err)
		}
		if err := tree.Insert(network, rec); err != nil {
			t.Fatalf("geoiptest: insert %s: %v", cidr, err)
		}
	}
	var b bytes.Buffer
	if _, err := tree.WriteTo(&b); err != nil {
		t.Fatalf("geoiptest: %v", err)
	}
	return b.Bytes()
}

// Write writes the City, Country and ASN databases into dir under their
// MaxMind file names and returns dir.
func Write(t testing.TB, dir string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("geoiptest: %v", err)
	}
	for file, dbType := range map[string]string{City: "GeoLite2-City", Country: "GeoLite2-Country", ASN: "GeoLite2-ASN"} {
		if err := os.WriteFile(filepath.Join(dir, file), Bytes(t, dbType), 0o644); err != nil {
			t.Fatalf("geoiptest: %v", err)
		}
	}
	return dir
}

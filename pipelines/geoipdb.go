package pipelines

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/oschwald/maxminddb-golang/v2"
)

// geoipKind is what a MaxMind database holds, from its metadata's
// database_type: GeoLite2-City and GeoIP2-City are cities, …-Country
// countries, …-ASN autonomous systems. Other types are refused at load.
type geoipKind int

const (
	geoipCity geoipKind = iota
	geoipCountry
	geoipASN
)

// geoipDB is one MaxMind DB file, read whole into memory and checked once
// (Verify walks its whole search tree and data section), so that a
// corrupt or truncated file is refused at load, naming the file, rather
// than failing lookups at run time. It is never reloaded: a changed file
// is read by the next Load (the indexer's restart). Lookups only read the
// buffer, so one geoipDB serves every processor and goroutine.
type geoipDB struct {
	file string
	kind geoipKind
	r    *maxminddb.Reader
}

// geoipOpen is the outcome of opening one file, remembered by the loader
// so that every processor naming it shares the database (or the error).
type geoipOpen struct {
	db  *geoipDB
	err error
}

// openGeoIP reads, checks and classifies a MaxMind DB file.
func openGeoIP(file string) (*geoipDB, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("geoip database: %w", err)
	}
	return parseGeoIP(file, b)
}

// parseGeoIP is openGeoIP on the file's bytes.
func parseGeoIP(file string, b []byte) (*geoipDB, error) {
	r, err := maxminddb.OpenBytes(b)
	if err != nil {
		return nil, fmt.Errorf("geoip database %s: %w", file, err)
	}
	if err := r.Verify(); err != nil {
		return nil, fmt.Errorf("geoip database %s: corrupt: %w", file, err)
	}
	t := r.Metadata.DatabaseType
	db := &geoipDB{file: file, r: r}
	switch {
	case strings.HasSuffix(t, "-City"):
		db.kind = geoipCity
	case strings.HasSuffix(t, "-Country"):
		db.kind = geoipCountry
	case strings.HasSuffix(t, "-ASN"):
		db.kind = geoipASN
	default:
		return nil, fmt.Errorf("geoip database %s: unsupported database type [%s]", file, t)
	}
	return db, nil
}

// GeoIPDatabases are the MaxMind DB files that geoip processors name
// (database_file), each read and checked once, when the first definition
// naming it loads, and shared by every processor of every pipeline loaded
// with it. Files are never reloaded: replacing one takes effect at the
// next load (the indexer's restart). A file that failed to open is not
// retried either.
type GeoIPDatabases struct {
	dir  string
	mu   sync.Mutex
	open map[string]*geoipOpen // absolute file name
}

// NewGeoIPDatabases returns the databases of dir (the indexer's
// geoip_database_directory); "" means the directory ingest-geoip beside
// each definition, as Elasticsearch's config/ingest-geoip.
func NewGeoIPDatabases(dir string) *GeoIPDatabases {
	return &GeoIPDatabases{dir: dir, open: map[string]*geoipOpen{}}
}

// get returns the database called name for a definition at defAbs.
func (g *GeoIPDatabases) get(defAbs, name string) (*geoipDB, error) {
	if name == "" || strings.ContainsAny(name, `/\`) || name == "." || name == ".." {
		return nil, fmt.Errorf("database_file [%s] is not a file name", name)
	}
	dir := g.dir
	if dir == "" {
		dir = filepath.Join(filepath.Dir(defAbs), "ingest-geoip")
	}
	file, err := filepath.Abs(filepath.Join(dir, name))
	if err != nil {
		return nil, fmt.Errorf("geoip database: %w", err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	o, ok := g.open[file]
	if !ok {
		db, err := openGeoIP(file)
		o = &geoipOpen{db: db, err: err}
		g.open[file] = o
	}
	return o.db, o.err
}

// geoipDatabase returns the database called name for a definition at
// defAbs, from Options.GeoIP or the loader's own set.
func (l *loader) geoipDatabase(defAbs, name string) (*geoipDB, error) {
	if l.geoip == nil {
		l.geoip = l.opts.GeoIP
		if l.geoip == nil {
			l.geoip = NewGeoIPDatabases("")
		}
	}
	return l.geoip.get(defAbs, name)
}

// geoipCityRecord is what the processor reads of a City or Country
// record (a Country record has no city, subdivisions or location).
type geoipCityRecord struct {
	City struct {
		Names map[string]string `maxminddb:"names"`
	} `maxminddb:"city"`
	Continent struct {
		Code  string            `maxminddb:"code"`
		Names map[string]string `maxminddb:"names"`
	} `maxminddb:"continent"`
	Country struct {
		ISOCode string            `maxminddb:"iso_code"`
		Names   map[string]string `maxminddb:"names"`
	} `maxminddb:"country"`
	Subdivisions []struct {
		ISOCode string            `maxminddb:"iso_code"`
		Names   map[string]string `maxminddb:"names"`
	} `maxminddb:"subdivisions"`
	Location struct {
		Latitude       *float64 `maxminddb:"latitude"`
		Longitude      *float64 `maxminddb:"longitude"`
		TimeZone       string   `maxminddb:"time_zone"`
		AccuracyRadius uint16   `maxminddb:"accuracy_radius"`
	} `maxminddb:"location"`
	Postal struct {
		Code string `maxminddb:"code"`
	} `maxminddb:"postal"`
}

type geoipASNRecord struct {
	Number       uint32 `maxminddb:"autonomous_system_number"`
	Organization string `maxminddb:"autonomous_system_organization"`
}

// lookup returns every property the database has for ip, under
// Elasticsearch 8's names (ip, continent_code, …, location {lat, lon};
// asn, organization_name, network), or nil when the address is not in
// it.
func (db *geoipDB) lookup(ip netip.Addr) (map[string]any, error) {
	res := db.r.Lookup(ip)
	if err := res.Err(); err != nil {
		return nil, fmt.Errorf("geoip database %s: %w", db.file, err)
	}
	if !res.Found() {
		return nil, nil
	}
	out := map[string]any{"ip": ip.String()}
	put := func(k, v string) {
		if v != "" {
			out[k] = v
		}
	}
	if db.kind == geoipASN {
		var rec geoipASNRecord
		if err := res.Decode(&rec); err != nil {
			return nil, fmt.Errorf("geoip database %s: %w", db.file, err)
		}
		if rec.Number != 0 {
			out["asn"] = int64(rec.Number)
		}
		put("organization_name", rec.Organization)
		if p := res.Prefix(); p.IsValid() {
			out["network"] = p.Masked().String()
		}
		return out, nil
	}
	var rec geoipCityRecord
	if err := res.Decode(&rec); err != nil {
		return nil, fmt.Errorf("geoip database %s: %w", db.file, err)
	}
	put("continent_code", rec.Continent.Code)
	put("continent_name", rec.Continent.Names["en"])
	put("country_iso_code", rec.Country.ISOCode)
	put("country_name", rec.Country.Names["en"])
	if db.kind == geoipCountry {
		return out, nil
	}
	if n := len(rec.Subdivisions); n > 0 { // the most specific, as Elasticsearch
		sub := rec.Subdivisions[n-1]
		if rec.Country.ISOCode != "" && sub.ISOCode != "" {
			out["region_iso_code"] = rec.Country.ISOCode + "-" + sub.ISOCode
		}
		put("region_name", sub.Names["en"])
	}
	put("city_name", rec.City.Names["en"])
	put("timezone", rec.Location.TimeZone)
	put("postal_code", rec.Postal.Code)
	if rec.Location.AccuracyRadius != 0 {
		out["accuracy_radius"] = int64(rec.Location.AccuracyRadius)
	}
	if lat, lon := rec.Location.Latitude, rec.Location.Longitude; lat != nil && lon != nil {
		out["location"] = map[string]any{"lat": *lat, "lon": *lon}
	}
	return out, nil
}

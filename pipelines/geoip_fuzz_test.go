package pipelines

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/sluicelogs/sluice/testkit/geoiptest"
)

// FuzzGeoIPDatabase: any bytes of a database file are refused at load
// with an error naming the file, or load and then answer lookups of
// any address without a panic. The seeds (testdata/fuzz/FuzzGeoIPDatabase)
// are the test City, Country and ASN databases and mangled copies of
// them: a cut, flipped search-tree bytes, flipped metadata bytes.
func FuzzGeoIPDatabase(f *testing.F) {
	f.Add(geoiptest.Bytes(f, "GeoLite2-City"), "89.160.20.128")
	addrs := []netip.Addr{netip.MustParseAddr("89.160.20.128"), netip.MustParseAddr("81.2.69.161"),
		netip.MustParseAddr("2001:480::1"), netip.MustParseAddr("8.8.8.8"), netip.MustParseAddr("0.0.0.0"),
		netip.MustParseAddr("::"), netip.MustParseAddr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")}
	f.Fuzz(func(t *testing.T, b []byte, ip string) {
		db, err := parseGeoIP("fuzz.mmdb", b)
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.mmdb") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		more := addrs
		if a, err := netip.ParseAddr(ip); err == nil {
			more = append(more[:len(more):len(more)], a.Unmap())
		}
		for _, a := range more {
			_, _ = db.lookup(a)
		}
	})
}

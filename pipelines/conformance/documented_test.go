package conformance

import (
	"slices"
	"testing"
)

// documentedCase is a behaviour Elasticsearch documents for an option or
// a processor OpenSearch 2.19 lacks, so no node can check it: the expected outcomes are
// written from Elasticsearch's documented semantics.
type documentedCase struct {
	name     string
	pipeline string
	docs     []string
	called   map[string]string // as in conformanceCase
	want     []string          // outcomes, as in conformanceCase
}

var documented = []documentedCase{
	{
		// set's copy_from (Elasticsearch 7.11+) copies the value, objects
		// included, instead of rendering a template; the copy is
		// independent of its source.
		name: "set copy_from",
		pipeline: `processors:
  - set: {field: b, copy_from: a}
  - append: {field: b.x, value: 3}
  - set: {field: c, copy_from: missing, ignore_empty_value: true}`,
		docs: []string{`{"a":{"x":[1,2]}}`},
		want: []string{`{"a":{"x":[1,2]},"b":{"x":[1,2,3]}}`},
	},
	{
		// uri_parts (Elasticsearch 7.12+): the reference's example URI,
		// then one without port or user info, and the options.
		name: "uri_parts",
		pipeline: `processors:
  - uri_parts: {field: input_field, target_field: url, keep_original: true, remove_if_successful: false}
  - uri_parts: {field: other, target_field: o, keep_original: false, remove_if_successful: true, ignore_missing: true}`,
		docs: []string{
			`{"input_field":"http://myusername:mypassword@www.example.com:80/foo.gif?key1=val1&key2=val2#fragment"}`,
			`{"input_field":"https://example.org/a/b","other":"ftp://files.example/pub/x.tar.gz"}`,
			`{"input_field":"http://[::1"}`,
		},
		want: []string{
			`{"input_field":"http://myusername:mypassword@www.example.com:80/foo.gif?key1=val1&key2=val2#fragment","url":{"domain":"www.example.com","extension":"gif","fragment":"fragment","original":"http://myusername:mypassword@www.example.com:80/foo.gif?key1=val1&key2=val2#fragment","password":"mypassword","path":"/foo.gif","port":80,"query":"key1=val1&key2=val2","scheme":"http","user_info":"myusername:mypassword","username":"myusername"}}`,
			`{"input_field":"https://example.org/a/b","o":{"domain":"files.example","extension":"gz","path":"/pub/x.tar.gz","scheme":"ftp"},"url":{"domain":"example.org","original":"https://example.org/a/b","path":"/a/b","scheme":"https"}}`,
			outError,
		},
	},
	{
		// dot_expander's field "*" (Elasticsearch 7.16+) expands every
		// top-level field with a dot in its name.
		name: "dot_expander all fields",
		pipeline: `processors:
  - dot_expander: {field: '*'}`,
		docs: []string{`{"foo.bar":"value","baz.qux.x":1,"plain":2,"foo":{"other":3}}`},
		want: []string{`{"baz":{"qux":{"x":1}},"foo":{"bar":"value","other":3},"plain":2}`},
	},
	{
		// dot_expander's override (Elasticsearch 7.11+, not in OpenSearch
		// 2.19) replaces an existing nested value instead of appending.
		name: "dot_expander override",
		pipeline: `processors:
  - dot_expander: {field: a.b, override: true}`,
		docs: []string{`{"a.b":2,"a":{"b":1}}`},
		want: []string{`{"a":{"b":2}}`},
	},
	{
		// community_id as Elasticsearch documents it where OpenSearch
		// differs: ports written as strings, iana_number before transport,
		// protocols without ports (GRE: addresses and protocol only). The
		// first ID is the Community ID spec's UDP example, the GRE one
		// computed independently (SHA-1 of seed, addresses, 47, 0).
		name: "community_id",
		pipeline: `processors:
  - community_id: {}`,
		docs: []string{
			`{"source":{"ip":"192.168.1.52","port":"54585"},"destination":{"ip":"8.8.8.8","port":"53"},"network":{"transport":"UDP"}}`,
			`{"source":{"ip":"8.8.8.8","port":53},"destination":{"ip":"192.168.1.52","port":54585},"network":{"iana_number":17,"transport":"tcp"}}`,
			`{"source":{"ip":"10.0.0.1"},"destination":{"ip":"10.0.0.2"},"network":{"transport":"gre"}}`,
		},
		want: []string{
			`{"destination":{"ip":"8.8.8.8","port":"53"},"network":{"community_id":"1:d/FP5EW3wiY1vCndhwleRRKHowQ=","transport":"UDP"},"source":{"ip":"192.168.1.52","port":"54585"}}`,
			`{"destination":{"ip":"192.168.1.52","port":54585},"network":{"community_id":"1:d/FP5EW3wiY1vCndhwleRRKHowQ=","iana_number":17,"transport":"tcp"},"source":{"ip":"8.8.8.8","port":53}}`,
			`{"destination":{"ip":"10.0.0.2"},"network":{"community_id":"1:+KlEHDT0vJgzs/eNmzHq0aSpRYw=","transport":"gre"},"source":{"ip":"10.0.0.1"}}`,
		},
	},
	{
		// network_direction (Elasticsearch 7.13+): the reference's example
		// (an outside source, a private destination), then the other
		// three directions.
		name: "network_direction",
		pipeline: `processors:
  - network_direction: {internal_networks: [private]}`,
		docs: []string{
			`{"source":{"ip":"128.232.110.120"},"destination":{"ip":"192.168.1.1"}}`,
			`{"source":{"ip":"192.168.1.1"},"destination":{"ip":"128.232.110.120"}}`,
			`{"source":{"ip":"10.0.0.1"},"destination":{"ip":"172.16.0.1"}}`,
			`{"source":{"ip":"8.8.8.8"},"destination":{"ip":"1.1.1.1"}}`,
		},
		want: []string{
			`{"destination":{"ip":"192.168.1.1"},"network":{"direction":"inbound"},"source":{"ip":"128.232.110.120"}}`,
			`{"destination":{"ip":"128.232.110.120"},"network":{"direction":"outbound"},"source":{"ip":"192.168.1.1"}}`,
			`{"destination":{"ip":"172.16.0.1"},"network":{"direction":"internal"},"source":{"ip":"10.0.0.1"}}`,
			`{"destination":{"ip":"1.1.1.1"},"network":{"direction":"external"},"source":{"ip":"8.8.8.8"}}`,
		},
	},
	{
		// registered_domain (Elasticsearch 7.13+): the reference's example,
		// a name without subdomain, and one that is no domain (skipped:
		// ignore_missing is true by default).
		name: "registered_domain",
		pipeline: `processors:
  - registered_domain: {field: fqdn, target_field: url}`,
		docs: []string{`{"fqdn":"www.example.ac.uk"}`, `{"fqdn":"elastic.co"}`, `{"fqdn":"no domain"}`},
		want: []string{
			`{"fqdn":"www.example.ac.uk","url":{"domain":"www.example.ac.uk","registered_domain":"example.ac.uk","subdomain":"www","top_level_domain":"ac.uk"}}`,
			`{"fqdn":"elastic.co","url":{"domain":"elastic.co","registered_domain":"elastic.co","top_level_domain":"co"}}`,
			`{"fqdn":"no domain"}`,
		},
	},
	{
		// redact (Elasticsearch 8.7): the reference's two examples, a
		// stock pattern and a custom one.
		name: "redact",
		pipeline: `processors:
  - redact: {field: message, patterns: ['%{IP:client}']}
  - redact: {field: note, patterns: ['%{GITHUB_NAME:GITHUB_NAME}'], pattern_definitions: {GITHUB_NAME: '@%{USERNAME}'}}`,
		docs: []string{`{"message":"55.3.244.1 GET /index.html 15824 0.043","note":"@elastic-data-management the PR is ready for review"}`},
		want: []string{`{"message":"<client> GET /index.html 15824 0.043","note":"<GITHUB_NAME> the PR is ready for review"}`},
	},
	{
		// terminate (Elasticsearch 8.16) ends the pipeline it is in when
		// its if holds, keeping the document; a calling pipeline goes on.
		name: "terminate",
		pipeline: `processors:
  - set: {field: first, value: 1}
  - pipeline: {name: terminating}
  - set: {field: after_call, value: 1}
  - terminate: {if: 'error != nil'}
  - set: {field: last, value: 1}`,
		called: map[string]string{"terminating": `processors:
  - terminate: {}
  - set: {field: never, value: 1}`},
		docs: []string{`{"error":"x"}`, `{}`},
		want: []string{`{"after_call":1,"error":"x","first":1}`, `{"after_call":1,"first":1,"last":1}`},
	},
	{
		// geoip (Elasticsearch 8): the reference's examples with the test
		// databases of testkit/geoiptest (runSluice writes them to
		// ingest-geoip beside the case): the City database's default
		// properties for 89.160.20.128, the Country database into geo,
		// an address not in the database (the document unchanged), and
		// the ASN database's asn, organization_name and network.
		name: "geoip",
		pipeline: `processors:
  - geoip: {field: ip}
  - geoip: {field: ip, target_field: geo, database_file: GeoLite2-Country.mmdb}
  - geoip: {field: ip, target_field: as, database_file: GeoLite2-ASN.mmdb}`,
		docs: []string{`{"ip":"89.160.20.128"}`, `{"ip":"80.231.5.0"}`},
		want: []string{
			`{"as":{"asn":29518,"network":"89.160.20.128/25","organization_name":"Bredband2 AB"},"geo":{"continent_name":"Europe","country_iso_code":"SE","country_name":"Sweden"},"geoip":{"city_name":"Linköping","continent_name":"Europe","country_iso_code":"SE","country_name":"Sweden","location":{"lat":58.4167,"lon":15.6167},"region_iso_code":"SE-E","region_name":"Östergötland County"},"ip":"89.160.20.128"}`,
			`{"ip":"80.231.5.0"}`,
		},
	},
	{
		// geoip on a list: first_only (the default) takes the first
		// address found, first_only: false every one found; a whole
		// latitude is written as the node's Double (37.0).
		name: "geoip list",
		pipeline: `processors:
  - geoip: {field: ips}
  - geoip: {field: ips, target_field: all, first_only: false, properties: [ip, country_iso_code, location]}`,
		docs: []string{`{"ips":["10.0.0.1","2001:480::1","89.160.20.128"]}`},
		want: []string{
			`{"all":[{"country_iso_code":"US","ip":"2001:480::1","location":{"lat":37.0,"lon":-97.0}},{"country_iso_code":"SE","ip":"89.160.20.128","location":{"lat":58.4167,"lon":15.6167}}],"geoip":{"continent_name":"North America","country_iso_code":"US","country_name":"United States","location":{"lat":37.0,"lon":-97.0}},"ips":["10.0.0.1","2001:480::1","89.160.20.128"]}`,
		},
	},
}

// TestElasticsearchDocumented runs the documented cases through sluice only.
func TestElasticsearchDocumented(t *testing.T) {
	for _, c := range documented {
		t.Run(c.name, func(t *testing.T) {
			got := runSluice(t, conformanceCase{name: c.name, pipeline: c.pipeline, docs: c.docs, called: c.called})
			if !slices.Equal(got, c.want) {
				t.Errorf("got  %q\nwant %q", got, c.want)
			}
		})
	}
}

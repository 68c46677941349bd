package conformance

// dateIndexNameCases are date_index_name's cases: the _index it sets (a
// date-math name Elasticsearch resolves at indexing) is compared with the
// node's as a top-level key of the outcome (withMetadata).
var dateIndexNameCases = []conformanceCase{
	{
		name: "date_index_name defaults",
		pipeline: `processors:
  - date_index_name: {field: ts, date_rounding: M, index_name_prefix: my-index-}`,
		docs: []string{`{"ts":"2016-04-25T12:02:01.789Z"}`, `{"ts":"2016-04-25T23:02:01.789+0200"}`, `{"ts":"2016-04-25"}`, `{"other":1}`},
	},
	{
		name: "date_index_name formats and timezone",
		pipeline: `processors:
  - date_index_name: {field: ts, date_rounding: d, index_name_format: yyyy.MM.dd, date_formats: [ISO8601, UNIX, UNIX_MS], timezone: Europe/Amsterdam}`,
		docs: []string{`{"ts":"2024-01-02T23:30:00Z"}`, `{"ts":1704238200}`, `{"ts":"1704238200000"}`, `{"ts":"2024-06-30T22:00:00"}`, `{"ts":"yesterday"}`},
	},
	{
		// Every format that parses is tried; the node keeps the last.
		name: "date_index_name last format wins",
		pipeline: `processors:
  - date_index_name: {field: ts, date_rounding: y, index_name_format: yyyy-MM-dd, date_formats: [UNIX, UNIX_MS]}`,
		docs: []string{`{"ts":"1704238200"}`, `{"ts":1704238200}`},
	},
	{
		name: "date_index_name templates",
		pipeline: `processors:
  - date_index_name: {field: ts, date_rounding: '{{round}}', index_name_prefix: '{{svc}}-', index_name_format: '{{fmt}}', date_formats: [yyyy-MM-dd HH:mm:ss]}
  - set: {field: _id, value: 'doc-{{svc}}'}`,
		docs: []string{`{"ts":"2024-03-01 10:00:00","round":"w","svc":"web","fmt":"yyyy-MM"}`, `{"ts":"2024-03-01 10:00:00","round":"h","svc":"db","fmt":"yyyy-MM-dd-HH"}`},
	},
	{
		name: "date_index_name on_failure",
		pipeline: `processors:
  - date_index_name: {field: ts, date_rounding: d, on_failure: [{set: {field: failed, value: true}}]}`,
		docs: []string{`{"ts":"bad"}`, `{"ts":null}`, `{}`},
	},
}

// Package pipelines is sluice's pipeline language: YAML definitions of
// processors that turn raw events into documents for Elasticsearch, with
// their own unit tests. Processors are named and configured like
// Elasticsearch ingest processors.
//
// # Definitions
//
//	description: nginx access log to ECS
//	processors:
//	  - grok: {field: message, patterns: ['%{COMBINEDAPACHELOG}']}
//	  - date: {field: timestamp, formats: ['dd/MMM/yyyy:HH:mm:ss Z']}
//	on_failure:                      # optional, for the whole pipeline
//	  - set: {field: error.message, value: '{{{ _ingest.on_failure_message }}}'}
//	tests:
//	  - name: a request
//	    now: 2024-03-01T00:00:00Z    # optional clock, for dates without a year
//	    input: '1.2.3.4 - - [...]'   # an event, a list of them; a string is {message: …}
//	    output: {...}                # the events not dropped, in order
//	    dropped: true                # or: every input is dropped
//	    error: 'substring'           # or: every input fails with this
//
// Processors: grok, dissect, json, kv, date, set, append, rename, remove,
// convert, lowercase, uppercase, trim, gsub, split, drop, fail, fingerprint,
// user_agent, pipeline, csv, urldecode, bytes, html_strip, join, sort,
// dot_expander, foreach, uri_parts, terminate, community_id,
// network_direction, registered_domain, redact, date_index_name, geoip,
// script. Every one also takes if (an expr-lang/expr condition whose
// variables are the event's top-level fields:
// `http?.response?.status_code >= 500`, `$env["@timestamp"] != nil`; or a
// Painless one, see Painless),
// ignore_missing, ignore_failure, on_failure, tag and description.
//
// A definition may also be a pipeline as Elasticsearch exports it (GET
// _ingest/pipeline/<id>: JSON, {"<id>": {"description": …, "processors":
// …}}) or the body of its PUT: YAML reads JSON, and a mapping of one key
// whose value holds processors is unwrapped. LoadDir reads *.json beside
// *.yml and *.yaml, and pipeline processors find name.json too.
//
// # Metadata: _index and _id
//
// As on an ingest node, a pipeline may set an event's _index (set, or
// date_index_name, which sets a date-math name such as
// <logs-{2024-01-02||/d{yyyy-MM-dd|UTC}}>) and _id. They are top-level
// fields of the event (IndexField, IDField); the indexer takes them out of
// the document and writes it to that index with that id, in place of the
// route's index and the record's id.
//
// # API (for the indexer)
//
//	p, err := pipelines.Load(path, pipelines.Options{})        // one file and those it calls
//	ps, err := pipelines.LoadDir(dir, pipelines.Options{})     // name (file name without .yml) → *Pipeline
//	out, dropped, err := p.Run(ev)                             // ev is changed in place and returned
//
// Load compiles everything once: grok expressions, regexps, conditions,
// templates, date layouts; pipeline processors are resolved relative to the
// calling file (name: common means common.yml beside it) and cycles are
// rejected. A *Pipeline is immutable afterwards, so Run may be called from
// any number of goroutines; the only shared state is the user-agent
// parser's internally locked cache and the geoip databases (read only).
// Run owns ev while it runs.
//
// # Fields
//
// Field names are dotted paths into nested objects, as in Elasticsearch:
// "http.response.status_code" is ev["http"]["response"]["status_code"]; a
// segment after a list indexes it, also as the last one (set s.0 replaces
// an element, remove r.1 removes one, append o.list.0 appends to one); an
// index out of range or not an integer fails, and so does setting under a
// null or a scalar (missing objects on the way are created).
// Objects are map[string]any, lists []any, strings string, booleans bool,
// numbers as below. Templates in set, append and fail render a missing
// field as ""; {{field}} escapes the value as in a JSON string, as the
// node's Mustache does (" → \", \ → \\, newline → \n, other control
// characters \u00XX), {{{field}}} and {{&field}} do not. So a message with
// quotes, or an error message, copied with {{field}} gains backslashes: use
// {{{field}}} to copy text as it is.
//
// # Numbers
//
// A number reaches Elasticsearch as it was written. float64 cannot
// promise that (9007199254740993 would become …992, 2.0 would become 2,
// which Elasticsearch's dynamic mapping then maps long, cutting the
// fractions of later values), so an event holds three kinds of number:
//
//	json.Number  every number decoded from JSON (DecodeEvent, which the
//	             indexer uses on records; the json processor; the agent's
//	             ndjson parser): its literal text, written back byte for
//	             byte. It is an integer if the text has no '.', 'e' or
//	             'E', else a float: 2.0 and 1e3 are floats, -0 an integer.
//	int64        an integer a processor made (grok :int, convert to
//	             integer/long, YAML values in set/append)
//	float64      a float a processor made (grok :float, convert to
//	             float/double, YAML values); always written as a float,
//	             as the node writes a Java double (Double.toString):
//	             2.0 when whole, never 2; 1.0E7 and up and below 1e-3
//	             in E notation (1.0E10, 1.0E-5). The same text in the
//	             indexer's bulk body, `sluice pipeline run`'s output,
//	             templates ({{f}} renders 2.0), convert to string and
//	             join (ForJSON and jsonnum.AppendFloat); a float64 in an
//	             object a template renders is written so too.
//	             Not matched: Java 17's Double.toString (the node's
//	             JVM) writes a few values with more digits than the
//	             shortest (4.9E-324; sluice: 5.0E-324); no case holds one.
//
// Processors that only move or copy values (set copy_from, rename,
// append, remove, the json processor, templates) keep a json.Number as it
// is. convert gives int64 for integer and long (failing beyond their
// range, so 12345678901234567890 does not convert to long), float64 for
// float and double except that a json.Number already written as a float
// is kept as written; to string gives its text. Conditions compare and
// compute with numbers as expr does: the operands of ==, !=, <, <=, >,
// >=, in, .., + - * / % ** and unary minus that read the event (fields,
// $env[...], a ?? b, …) become int64 (an integer within int64) or float64
// (anything else) first, so `status >= 400` works on a decoded status;
// a json.Number passed to a function (len, max, …) or inside a list
// field (`404 in codes`) stays text.
// append's allow_duplicates: false compares by value within a kind: an
// integer never equals a float (as Java's equals does), so 2 and 2.0
// differ there, while a condition's == is expr's, numeric (2 == 2.0).
//
// An integer beyond int64 stays exact, but Elasticsearch's dynamic
// mapping maps it long and refuses the document (a rejection: the
// indexer sends it to the dead-letter topic), as it does when sent it
// directly; map such a field unsigned_long or keyword in a template.
// Before, it went in as a rounded float.
//
// # Failures
//
// A failing processor fails the pipeline unless ignore_failure is set; if
// it has on_failure processors, they run instead and the pipeline goes on.
// Otherwise the failure goes up to the pipeline's on_failure (after which
// the run ends, the event kept), or out of Run as a *ProcessorError
// naming the definition file, the processor ("grok#2", with its tag) and
// the cause. While on_failure processors run, the event carries
//
//	_ingest.on_failure_message         the error message
//	_ingest.on_failure_processor_type  the failed processor's name
//	_ingest.on_failure_processor_tag   its tag ("" when none)
//	_ingest.on_failure_pipeline        the definition file it belongs to
//
// and _ingest is removed again afterwards. drop ends the run with
// dropped=true, also from inside a called pipeline.
//
// A condition (if) that fails to evaluate is not a failure of its
// processor: as on the node, where the condition wraps the processor with
// its ignore_failure and on_failure, neither handles it; it goes up as a
// failure of type "conditional" (_ingest.on_failure_processor_type) to
// the pipeline's on_failure, or out of Run.
//
// Definition errors are config.Errors, one per problem, each
// "file:line: processor <name>#<index>: message" (index in its list;
// nested lists read "processor set#0.on_failure.processor x#1").
//
// # Limits
//
// One event must not hold up the rest. Options.Budget (the indexer's
// pipeline_timeout) bounds the time of one Run: the clock is read after
// every processor that parses or searches text (grok, dissect, date,
// gsub, json, kv, split, user_agent, fingerprint, pipeline, csv,
// html_strip, foreach, redact, script: not after set, rename and the like, whose
// cost is the fields they touch), before each of grok's and redact's
// searches and before each of user_agent's three parses; a run over its budget ends there with
// ErrOverBudget inside a *ProcessorError naming the processor, and
// neither ignore_failure nor on_failure handles it (the indexer sends the
// event to the dead-letter topic). A single search of Go's regexp cannot
// be interrupted (Elasticsearch's grok has a watchdog that can), so the
// processors whose cost grows fastest with their input have caps as
// well:
//
//	grok        a field over max_bytes (64 KiB) is a grok failure,
//	            "field [message] is N bytes, over grok's limit of 65536",
//	            handled by ignore_failure/on_failure like any other
//	user_agent  parses only the first max_bytes (1 KiB) of the user
//	            agent, cut at a character; original keeps all of it
//
// Both processors take the cap as the option max_bytes, a whole number of
// bytes of at least 1 (`grok: {field: message, patterns: [...],
// max_bytes: 131072}`); without it they use Options.GrokMaxBytes and
// Options.UserAgentMaxBytes, which the indexer sets from grok_max_bytes
// and user_agent_max_bytes in its config (so an operator sets the caps of
// every pipeline in one place and a pipeline can still raise or lower its
// own). A larger cap lets one event cost more time than the budget can
// bound: the budget is only read between searches.
//
// Go's regexps run in time linear in the input, but with the stock
// patterns that is about 2µs a byte for grok and 20-30µs a byte for
// ua-parser's regexes: unbounded, a 990 KB line took 2.3s in the nginx
// example's grok fallback and a 900 KB user agent 27s.
//
// # Processor notes
//
// grok expands %{SYNTAX:field:type} against go-grok's stock pattern library
// plus pattern_definitions, with Go's regexp (RE2 syntax: no look-around or
// back-references). date takes ISO8601, UNIX, UNIX_MS, TAI64N and Java
// patterns (yyyy MM MMM dd HH mm ss SSS Z ZZ XXX EEE a …), translated to Go
// layouts; timezone applies to text without a zone and is the zone of the
// output (default UTC), written as yyyy-MM-dd'T'HH:mm:ss.SSSXXX unless
// output_format says otherwise; a pattern without a year takes the
// clock's year (the previous one for dates more than two days ahead).
// fingerprint writes base64 (SHA-1 by default; SHA-256, SHA-512, MD5,
// MurmurHash3), over our own encoding of the fields, so values differ from
// Elasticsearch's. user_agent uses the ua-parser regexes (uap-go), as
// Elasticsearch does, and writes ECS user_agent.{name,version,os.*,
// device.name,original}: version with up to four components
// (Chrome/120.0.6099.144), os.full only when there is an OS version.
// csv splits the field as Elasticsearch's parser does, quirks included
// (a blank column's spaces start the next one; a line ending in the
// separator has no last column). convert to integer, long or boolean
// takes no spaces around the value, as the node (Java's parseInt,
// equalsIgnoreCase); to float and double it does (parseFloat trims). html_strip removes
// tags as Lucene's HTMLStripCharFilter does (block elements become a
// newline) and leaves character references as they are, as the node
// does. bytes writes an integer (int64) like every integer of the event
// model. foreach runs one processor on each element of a list (not of an
// object, which Elasticsearch 8 also iterates), as _ingest._value.
// uri_parts reads the URI with Go's net/url, refusing what Java's URI
// refuses (spaces, quotes, <>, ...) unless an http, https, ftp, file or
// jar scheme lets Java's URL take it, as Elasticsearch falls back to; a
// bad %-escape fails in sluice where URL would take it. community_id takes
// Elasticsearch's option names (source_ip, transport, ...) and defaults
// (ECS fields, ignore_missing true; OpenSearch names them
// source_ip_field, protocol_field, ...), reads ports written as strings
// and knows GRE, IGMP, EIGRP, OSPF and PIM, as Elasticsearch does.
// network_direction's named ranges are Go's net/netip predicates (private
// is fc00::/7 for IPv6); internal_networks are literal, not templates.
// registered_domain uses the Public Suffix List of golang.org/x/net
// (ICANN and private suffixes, as Elasticsearch's matcher). redact uses
// grok's compiler and patterns (so its max_bytes cap too) and merges
// overlapping redactions into one named after the first; it has no
// licence check (skip_if_unlicensed is accepted and ignored) and no
// trace_redact. geoip reads MaxMind DB files (GeoLite2/GeoIP2 City,
// Country and ASN, by their database_type) with maxminddb-golang, from
// Options.GeoIP's directory (the indexer's geoip_database_directory;
// default ingest-geoip beside the definition), never downloading one.
// Each file is read whole and verified once per GeoIPDatabases, when the
// first definition naming it loads: a missing, corrupt or unsupported
// file is a definition error naming it, and the reader is shared by every
// processor and never reloaded (a new file takes effect at the next
// load). Properties and defaults are Elasticsearch 8's: City
// continent_name, country_iso_code, country_name, region_iso_code (the
// most specific subdivision), region_name, city_name, location {lat,
// lon} (also ip, continent_code, timezone, postal_code, accuracy_radius);
// Country the first three; ASN asn, organization_name, network (also
// ip). An address not in the database, or with none of the properties,
// writes nothing. Where Elasticsearch, missing a database it has not yet
// downloaded, tags documents _geoip_database_unavailable_<file> and goes
// on, sluice refuses the definition: the operator puts the files there.
//
// # Painless
//
// Pipelines exported from Elasticsearch write conditions and scripts in
// Painless. An if that names ctx (as a word outside strings: `ctx.a`,
// `ctx['a']`) is Painless, any other expr; an if written as a script
// object, {source, lang: painless, params}, is always Painless. The
// supported subset is parsed and translated into an expr program (one
// compiler, the same machine and number handling as expr conditions;
// painless_expr.go shows the mapping), with Painless's semantics:
//
//	ctx.a.b, ctx['a']     a missing field is null; reading a field of null
//	                      fails (NullPointerException); ?. gives null instead
//	== !=                 values (2 == 2.0; '404' != 404); null compares;
//	                      lists and maps element by element (painless-list-eq)
//	< <= > >=             numbers only: null or a string fails
//	&& || ! ?: if (…)     the operand must be a boolean: null fails
//	+                     numbers, or concatenation when a side is a String
//	                      (numbers as Java writes them: 2.0, 1.0E10, null)
//	- * / % (unary -)     numbers, as Java: integers truncate (7 / 2 is 3),
//	                      and fail divided by zero; integers are 64-bit
//	                      (see painless-int64)
//	literals              'x' "x" (escapes \\ and the quote only), 400,
//	                      400L, 1.5, 1e3, 1.5d, true, false, null, lists
//	                      ['a', 1], maps ['k': v] (string keys), [], [:]
//	methods               contains (String, List), startsWith, endsWith,
//	                      equals (Java's: 1 is not 1.0), isEmpty, length
//	                      (UTF-16 units), size, toLowerCase, toUpperCase,
//	                      trim, containsKey, remove (Map), add (List)
//	params                the script's params (read-only)
//
// The script processor (source, lang: painless, params) runs statements
// of the same subset: assignments to a field (ctx.a.b = …, ctx['a'] = …,
// ctx.list[0] = …, and += -= *= /= %=; assigning under a missing object
// fails, as on the node), method calls (ctx.remove('a'),
// ctx.tags.add('x')) and if/else with blocks, separated by ; (optional
// before } and at the end). Its failures are processor failures
// (on_failure runs). Everything else is refused at load, naming file,
// line, column and the construct: local variables (def, String x),
// loops, ++ and --, bitwise operators, ===, instanceof, regexes,
// lambdas, new, return in scripts, methods beyond the list, stored
// scripts (id) and other languages. Strings must be UTF-8. The
// conformance suite runs each construct through the node.
//
// # Differences from a real ingest node
//
// The conformance suite (package pipelines/conformance, its tests) runs
// cases through a real ingest node, OpenSearch 2.19's _simulate, and
// through Run, and requires equal documents. Where sluice differs, the
// case pins sluice's current outcome and names a row of this table (the
// suite checks both ways that every row has a case and every case's row
// exists): a bug is to be fixed (its case then fails until the row goes),
// a deliberate difference stays.
//
//	id                    kind        difference (the node first, then sluice)
//	grok-ecs              deliberate  stock patterns (COMBINEDAPACHELOG) capture legacy
//	                                  names (clientip, verb); sluice's go-grok patterns
//	                                  capture ECS names, as Elasticsearch 8 does
//	fingerprint-encoding  deliberate  fingerprint hashes its own encoding of the fields,
//	                                  prefixed "SHA-1@2.16.0:"; sluice hashes another
//	template-json         deliberate  a template of an object or list renders Java's
//	                                  toString ({a=1}, {0=1, 1=x}); sluice renders JSON:
//	                                  {"a":1} under {{{obj}}}, escaped like any value
//	                                  under {{obj}} ({\"a\":1}); its floats as the node's
//	                                  (2.0, 1.0E10)
//	error-wording         deliberate  error messages (on_failure_message) are worded
//	                                  differently; processor type and tag agree
//	float-literal         deliberate  a float the pipeline passes through is written again
//	                                  from its double (1e3 → 1000.0); sluice keeps it as
//	                                  written (1e3): the same value and type either way.
//	                                  Floats a processor makes are written as the node's
//	                                  (2.0, 1.0E10; case "doubles as text")
//	ua-empty-patch        deliberate  an empty patch version gives "120.0." (a trailing
//	                                  dot); sluice writes "120.0"
//	bytes-fraction        deliberate  bytes refuses a fraction ("1.5kb"; OpenSearch 2.10
//	                                  dropped it); sluice takes it, cut to whole bytes
//	                                  (1536), as Elasticsearch does (deprecated there)
//	painless-concat       deliberate  Painless concatenates an object or list as Java's
//	                                  toString ('x' + {a:1} is "x{a=1}"); sluice's
//	                                  script fails (the processor's failure)
//	painless-int64        deliberate  a JSON integer that fits 32 bits is an int, and
//	                                  Painless arithmetic on it wraps at 32 bits
//	                                  (10 * 1000000000 is 1410065408); sluice's
//	                                  integers are 64-bit (10000000000)
//	painless-list-eq      deliberate  in if: a list field is a read-only wrapper whose
//	                                  equals is identity: ctx.tags == ['a'] is false
//	                                  (in a script it compares elements); sluice
//	                                  compares elements in both
//
// Not compared: error messages beside error-wording's case, _ingest
// metadata. Not run on the node: set's copy_from, dot_expander's field "*"
// and override, uri_parts, terminate, network_direction, registered_domain,
// redact and geoip (OpenSearch 2.19 has none of them; its ingest-geoip
// module is not in the test peer), and community_id's string
// ports, GRE and iana_number precedence (where OpenSearch's differs):
// TestElasticsearchDocumented checks them against Elasticsearch's documented
// behaviour. Also not run: integers beyond 64 bits (the node's _simulate
// refuses them: "unexpected value type [class java.math.BigInteger]").
package pipelines

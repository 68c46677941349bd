package pipelines

import "strings"

// buildHTMLStrip compiles html_strip: HTML tags removed from a string (or
// each string of a list) and character references decoded, as Lucene's
// HTMLStripCharFilter, which Elasticsearch uses, does: a block-level
// element's tags become a newline, other tags nothing; comments, processing
// instructions and the contents of script and style elements go. Character
// references (&amp;) stay as they are, as on a real ingest node.
func buildHTMLStrip(o *opts, ignoreMissing bool) doFunc {
	field, target := fieldTarget(o, "")
	return func(ev Event, _ *state) error {
		v, ok, err := source(ev, field, ignoreMissing)
		if !ok {
			return err
		}
		out, err := mapStrings(field, v, func(s string) (any, error) { return stripHTML(s), nil })
		if err != nil {
			return err
		}
		return target.set(ev, out)
	}
}

var blockElements = set(strings.Fields(`address article aside blockquote body br button canvas caption col
	colgroup dd div dl dt embed fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup
	hr iframe li map noscript object ol output p pre progress section table tbody td textarea tfoot th
	thead tr ul video`))

// stripHTML removes markup from s; a "<" that does not start a tag stays.
func stripHTML(s string) string {
	var b strings.Builder
	text := 0 // start of the pending text
	flush := func(end int) { b.WriteString(s[text:end]) }
	for i := 0; i < len(s); i++ {
		if s[i] != '<' {
			continue
		}
		rest := s[i:]
		var end int // length of the markup at i, 0 when none
		repl := ""
		switch {
		case strings.HasPrefix(rest, "<!--"):
			if j := strings.Index(rest[4:], "-->"); j >= 0 {
				end = 4 + j + 3
			}
		case strings.HasPrefix(rest, "<![CDATA["):
			if j := strings.Index(rest, "]]>"); j >= 0 {
				flush(i)
				b.WriteString(rest[9:j])
				i += j + 2
				text = i + 1
				continue
			}
		case strings.HasPrefix(rest, "<!"), strings.HasPrefix(rest, "<?"):
			if j := strings.IndexByte(rest, '>'); j >= 0 {
				end = j + 1
			}
		default:
			name, closing, n := tagAt(rest)
			if n == 0 {
				continue
			}
			end = n
			if blockElements[name] {
				repl = "\n"
			}
			if !closing && (name == "script" || name == "style") {
				if j := strings.Index(strings.ToLower(rest[n:]), "</"+name); j >= 0 {
					if k := strings.IndexByte(rest[n+j:], '>'); k >= 0 {
						end = n + j + k + 1
						repl = "\n"
					}
				}
			}
		}
		if end == 0 {
			continue
		}
		flush(i)
		b.WriteString(repl)
		i += end - 1
		text = i + 1
	}
	flush(len(s))
	return b.String()
}

// tagAt reads a start or end tag at the beginning of s: its lowercased
// name, whether it is an end tag and its length (0 when s does not start
// with one).
func tagAt(s string) (string, bool, int) {
	i := 1
	closing := i < len(s) && s[i] == '/'
	if closing {
		i++
	}
	start := i
	for i < len(s) && (isASCIILetter(s[i]) || (i > start && (s[i] >= '0' && s[i] <= '9' || s[i] == '-' || s[i] == ':'))) {
		i++
	}
	if i == start {
		return "", false, 0
	}
	name := strings.ToLower(s[start:i])
	quote := byte(0)
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return name, closing, i + 1
		}
	}
	return "", false, 0
}

func isASCIILetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

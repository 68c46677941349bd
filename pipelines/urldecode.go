package pipelines

import (
	"fmt"
	"net/url"
	"strings"
)

// buildURLDecode compiles urldecode: a string, or each string of a list,
// decoded as an HTML form value ("+" is a space, %XX a byte), as Java's
// URLDecoder does. A malformed escape fails; bytes that are not UTF-8 become
// U+FFFD.
func buildURLDecode(o *opts, ignoreMissing bool) doFunc {
	field, target := fieldTarget(o, "")
	return func(ev Event, _ *state) error {
		v, ok, err := source(ev, field, ignoreMissing)
		if !ok {
			return err
		}
		out, err := mapStrings(field, v, func(s string) (any, error) {
			d, err := url.QueryUnescape(s)
			if err != nil {
				return nil, fmt.Errorf("field [%s]: cannot URL-decode [%s]: %w", field, s, err)
			}
			return strings.ToValidUTF8(d, "\uFFFD"), nil
		})
		if err != nil {
			return err
		}
		return target.set(ev, out)
	}
}

package agent

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

func readFile(path string) ([]byte, error) { return os.ReadFile(path) }

// globMatch is filepath.Match; with name "" it only checks the pattern.
func globMatch(pattern, name string) (bool, error) { return filepath.Match(pattern, name) }

// splitKey turns "inputs[0].parsers[1].multiline" into
// ["inputs" "[0]" "parsers" "[1]" "multiline"].
func splitKey(key string) []string {
	var out []string
	for _, part := range strings.Split(key, ".") {
		for {
			i := strings.IndexByte(part, '[')
			if i < 0 {
				break
			}
			if i > 0 {
				out = append(out, part[:i])
			}
			j := strings.IndexByte(part, ']')
			if j < i {
				break
			}
			out = append(out, part[i:j+1])
			part = part[j+1:]
		}
		if part != "" {
			out = append(out, part)
		}
	}
	return out
}

// nodeLine returns the line of the key reached by following path from n
// (dotted keys such as "output.kafka" count as their parts), or of the
// deepest key on the way that exists.
func nodeLine(n *yaml.Node, path []string) int { return nodeLineOr(n, path, n.Line) }

func nodeLineOr(n *yaml.Node, path []string, fallback int) int {
	if len(path) == 0 {
		return fallback
	}
	switch n.Kind {
	case yaml.SequenceNode:
		i, err := strconv.Atoi(strings.Trim(path[0], "[]"))
		if strings.HasPrefix(path[0], "[") && err == nil && i >= 0 && i < len(n.Content) {
			return nodeLineOr(n.Content[i], path[1:], n.Content[i].Line)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			parts := strings.Split(k.Value, ".")
			if len(parts) <= len(path) && slices.Equal(parts, path[:len(parts)]) {
				return nodeLineOr(n.Content[i+1], path[len(parts):], k.Line)
			}
		}
	}
	return fallback
}

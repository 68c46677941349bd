package config

import (
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// LineOf returns the line, in a parsed YAML document, of the dotted key
// ("inputs[0].parsers[1].multiline"; dotted spellings such as
// "output.kafka:" count as their parts), or of the deepest key on the way
// that is there; 0 when root is nil or empty. Validate methods use it to
// give their errors a line.
func LineOf(root *yaml.Node, key string) int {
	if root == nil {
		return 0
	}
	n := root
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return 0
		}
		n = n.Content[0]
	}
	return lineOr(n, splitKey(key), 0)
}

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

func lineOr(n *yaml.Node, path []string, fallback int) int {
	if len(path) == 0 {
		return fallback
	}
	switch n.Kind {
	case yaml.SequenceNode:
		i, err := strconv.Atoi(strings.Trim(path[0], "[]"))
		if strings.HasPrefix(path[0], "[") && err == nil && i >= 0 && i < len(n.Content) {
			return lineOr(n.Content[i], path[1:], n.Content[i].Line)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			parts := strings.Split(k.Value, ".")
			if len(parts) <= len(path) && slices.Equal(parts, path[:len(parts)]) {
				return lineOr(n.Content[i+1], path[len(parts):], k.Line)
			}
		}
	}
	return fallback
}

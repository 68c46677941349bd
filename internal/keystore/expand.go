package keystore

import (
	"gopkg.in/yaml.v3"

	"github.com/sluicelogs/sluice/internal/config"
)

// ExpandConfig expands the ${NAME} and ${NAME:default} references of a
// YAML configuration (config.ExpandYAML): NAME from the keystore that its
// keystore.path key names, if any, else from env (os.LookupEnv in the
// programs, a map in tests), as Filebeat looks in its keystore first. An
// unreadable keystore, or one others may read, is an error naming file,
// line and key.
func ExpandConfig(file string, text []byte, env config.Lookup) ([]byte, error) {
	lookup := env
	path, line := keystorePath(text)
	if path != "" {
		ks, err := Open(path)
		if err != nil {
			return nil, &config.Error{File: file, Line: line, Key: "keystore.path", Err: err}
		}
		lookup = func(name string) (string, bool) {
			if v, ok := ks.Get(name); ok {
				return v, true
			}
			return env(name)
		}
	}
	return config.ExpandYAML(file, text, lookup)
}

// keystorePath returns the value of keystore.path (nested or dotted) and
// its line; "" when the text has none or does not parse.
func keystorePath(text []byte) (string, int) {
	var root yaml.Node
	if yaml.Unmarshal(text, &root) != nil || len(root.Content) == 0 {
		return "", 0
	}
	m := root.Content[0]
	if m.Kind != yaml.MappingNode {
		return "", 0
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		switch {
		case k.Value == "keystore.path" && v.Kind == yaml.ScalarNode:
			return v.Value, v.Line
		case k.Value == "keystore" && v.Kind == yaml.MappingNode:
			for j := 0; j+1 < len(v.Content); j += 2 {
				if v.Content[j].Value == "path" && v.Content[j+1].Kind == yaml.ScalarNode {
					return v.Content[j+1].Value, v.Content[j+1].Line
				}
			}
		}
	}
	return "", 0
}

// Config is the keystore: section of agent.yml and indexer.yml; embed it
// (yaml ",inline") so the file may carry the key ExpandConfig reads.
type Config struct {
	Keystore struct {
		Path string `yaml:"path"`
	} `yaml:"keystore"`
	DottedKeystorePath string `yaml:"keystore.path,omitempty"`
}

package agent

import (
	"os"
	"path/filepath"
)

func readFile(path string) ([]byte, error) { return os.ReadFile(path) }

// globMatch is filepath.Match; with name "" it only checks the pattern.
func globMatch(pattern, name string) (bool, error) { return filepath.Match(pattern, name) }

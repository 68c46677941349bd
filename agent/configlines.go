package agent

import "path/filepath"

// globMatch is filepath.Match; with name "" it only checks the pattern.
func globMatch(pattern, name string) (bool, error) { return filepath.Match(pattern, name) }

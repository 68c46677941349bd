// Package config reads the configuration files sluice's users already know —
// Java-style properties (zoo.cfg, server.properties) and YAML (agent.yml,
// indexer.yml, pipelines) — so that every error names the file, the line and
// the key it is about.
package config

// Package up is `sluice up`, the embedded default: a standalone
// coordinator, a broker, an indexer and an agent in one process, wired
// from the same types the separate subcommands run (as Loki's
// -target=all composes its modules).
//
// # Wiring
//
// Each input (a --tail glob, a tail: entry or an inputs: entry of
// sluice.yml) ships to its own topic, logs-<id>; the indexer has one
// route per input, with its own consumer group sluice-up-<id>, running
// the pipeline <pipelines>/<id>.yml when there is one (else the events
// pass unchanged) into the one index pattern. Events Elasticsearch
// rejects go to the topic sluice-dlq.
//
// # Data folder
//
//	<data>/coordinator/zoo.cfg           written at each start from sluice.yml
//	<data>/coordinator/version-2/        the coordinator's Raft log and snapshots
//	<data>/broker/server.properties      written at each start
//	<data>/broker/logs/                  the partitions' segments
//	<data>/agent/agent.yml               written at each start
//	<data>/agent/registry.json           the agent's acknowledged offsets
//	<data>/agent/meta.json               the agent's id
//	<data>/sluice.log                    the log (unless `sluice up -e`)
//
// The three configuration files are written for people to read (and to
// run a component on its own from): sluice up builds each component's
// configuration struct in code and reads none of them.
//
// # Start and stop
//
// Run starts the coordinator, the broker (then creates the topics), the
// indexer and the agent, each in a goroutine Run owns (a task), and stops
// them in the reverse order when its context ends or one of them fails:
// the agent stops reading and waits until the broker acknowledged every
// event it read, writing its registry; Run then waits (up to
// shutdown_timeout) until the consumer lag is 0, so that what was read is
// indexed; the indexer finishes its batch and commits; the broker and the
// coordinator close. Nothing read is lost at any step: what is not yet in
// Elasticsearch stays in the broker, and what the broker did not
// acknowledge is read again from the registry at the next start.
package up

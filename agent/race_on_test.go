//go:build race

package agent_test

// raceEnabled scales the big tests down: the race detector slows the
// agent, the broker and the consumer (all in this process) several times.
const raceEnabled = true

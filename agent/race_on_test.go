//go:build race

package agent_test

// raceEnabled scales the in-process load tests down (broker outage, 1,000
// files): the race detector slows the agent, the broker and the consumer
// (all in this process) several times. The rotation and kill -9 tests run
// the agent and broker as processes built without -race, at full size.
const raceEnabled = true

// Package crashtest runs coordinator ensembles as real processes on
// loopback and kills their members with SIGKILL while clients work, to check
// what a crash must not break: one leader at a time, a new leader soon
// after the old one dies, no acknowledged write lost, client sessions that
// survive a failover, members that catch up after a restart, and a
// linearizable history of reads, writes and compare-and-set operations
// (checked with porcupine).
//
// The package holds only tests. They run the sluice binary that
// testpeer.SluiceBinary builds once per test process ($SLUICE_BIN, or
// $SLUICE_CRASHTEST_BIN for this package only, names a prebuilt one, e.g.
// built with -race); every member runs it as `sluice coordinator --config
// DIR/zoo.cfg` in its own process group (testkit/testpeer), with its log in
// a file that a failing test prints the tail of.
package crashtest

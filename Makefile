# sluice — the two commands a newcomer runs are `make run` and `make test`.
# Each builds or installs what it needs (Go modules, Debian packages through
# apt-get, the Java test peers through Maven) on a fresh machine.

GO          ?= go
VERSION     ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
PEER_REPORT := $(CURDIR)/.peers/report.tsv
GO_FILES     = $(shell find . -name '*.go' -not -path './.peers/*' -not -path '*/target/*')

.PHONY: build test run bench peers fmt-check vet clean

## build: the one static binary, bin/sluice
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w -X main.version=$(VERSION)" -o bin/sluice ./cmd/sluice

## peers: provision the real programs the tests run against (idempotent)
peers:
	@bash scripts/peers.sh

fmt-check:
	@out=$$(gofmt -l $(GO_FILES)); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

## vet with the build's flags, so it reuses what `make build` compiled
## (vet needs every dependency compiled; with other flags, all over again)
vet:
	CGO_ENABLED=0 $(GO) vet -trimpath ./...

## test: gofmt, go vet, every test (with the real peers; the tests that run
## sluice as a process run bin/sluice, built first), then a line per peer;
## the test binaries are linked without DWARF (-w: a fifth of the link time;
## race reports and panics still name every frame); -parallel 3: the broker's
## tests that wait on Kafka JVMs (t.Parallel) overlap three at a time
test: peers build fmt-check vet
	@mkdir -p .peers && rm -f $(PEER_REPORT)
	@rc=0; SLUICE_PEER_REPORT=$(PEER_REPORT) SLUICE_BIN=$(CURDIR)/bin/sluice $(GO) test -race -ldflags=-w -p 3 -parallel 3 -count=1 -timeout 35m ./... || rc=$$?; \
	  bash scripts/peer-summary.sh $(PEER_REPORT) || rc=1; \
	  if [ $$rc -ne 0 ]; then echo "make test: FAILED"; else echo "make test: all passed"; fi; exit $$rc

## run: the whole job on loopback until Ctrl-C — the dev Elasticsearch node,
## a log generator and `sluice up` (scripts/run.sh builds bin/sluice;
## SLUICE_RUN_SECONDS=N stops it after N seconds)
run:
	@bash scripts/run.sh

## bench: every benchmark, with allocations, then (bin/sluice-bench) the coordinator side by side
## with Apache ZooKeeper 3.8 (BENCH_COORDINATOR_FLAGS: see `bin/sluice-bench coordinator -h`),
## then the broker side by side with Apache Kafka 3.9 (BENCH_BROKER_FLAGS: see
## `bin/sluice-bench broker -h`): one broker with plaintext clients and again with SASL_SSL
## clients (TLS + SCRAM-SHA-512 on both targets, a table each and their ratios side by side), then 3 brokers with replication
## factor 3 and acks=all (a longer warm-up: three Kafka JVMs share the cores
## while their JIT compiles), the indexer against raw esutil.BulkIndexer (built in
## only with -tags esceiling: esutil links 858 typed-API packages), the
## agent against rsyslog, the whole pipeline end to end, and `sluice-bench attack`
## (the Kafka, ZooKeeper client and peer ports under hostile clients: nodes up,
## RSS against a budget, a normal client's p99; BENCH_ATTACK_FLAGS: see
## `bin/sluice-bench attack -h`); each appends its headline rows to
## BENCH_SUMMARY, printed last as one table (BENCHMARKS.md)
BENCH_COORDINATOR_FLAGS ?= -znodes 200000
BENCH_BROKER_FLAGS ?= -duration 5s
BENCH_SUMMARY := $(CURDIR)/bin/bench-summary.tsv
bench: build peers
	$(GO) build -tags esceiling -o bin/sluice-bench ./cmd/sluice-bench
	$(GO) vet -tags esceiling ./bench/indexer
	rm -f $(BENCH_SUMMARY)
	$(GO) test -run '^$$' -bench . -benchmem ./...
	bin/sluice-bench coordinator -sluice bin/sluice -summary $(BENCH_SUMMARY) $(BENCH_COORDINATOR_FLAGS)
	bin/sluice-bench broker -sluice bin/sluice -summary $(BENCH_SUMMARY) -security plaintext,sasl_ssl $(BENCH_BROKER_FLAGS)
	bin/sluice-bench broker -sluice bin/sluice -summary $(BENCH_SUMMARY) -brokers 3 -rf 3 -acks all -sizes 1024 -warmup 20s $(BENCH_BROKER_FLAGS)
	bin/sluice-bench indexer -sluice bin/sluice -summary $(BENCH_SUMMARY)
	bin/sluice-bench agent -sluice bin/sluice -summary $(BENCH_SUMMARY) $(BENCH_AGENT_FLAGS)
	bin/sluice-bench e2e -sluice bin/sluice -summary $(BENCH_SUMMARY) $(BENCH_E2E_FLAGS)
	bin/sluice-bench attack -sluice bin/sluice -summary $(BENCH_SUMMARY) $(BENCH_ATTACK_FLAGS)
	bin/sluice-bench summary $(BENCH_SUMMARY)

clean:
	rm -rf bin

# The two commands: `make run` and `make test`. Both start the real services
# (PostgreSQL and Elasticsearch) first; see scripts/services.sh.
SHELL := /bin/bash
GO ?= go
SERVICES := scripts/services.sh
# Export the URLs the services script prints, for every recipe line.
SVC_ENV = set -a && eval "$$($(SERVICES) env)" && set +a

.PHONY: run test services services-down build lab vet fuzz bench drills clean

# build: the product binary, the only one the image carries. -buildvcs=auto
# stamps the commit into `assets --version` even where GOFLAGS turns it off.
build:
	$(GO) build -buildvcs=auto -o bin/assets ./cmd/assets

# lab: the product binary and the lab binary (bench, drills) next to it;
# the lab runs bin/assets serve and sync as its child processes.
lab: build
	$(GO) build -buildvcs=auto -o bin/assets-lab ./cmd/assets-lab

services:
	@$(SERVICES) up

services-down:
	@$(SERVICES) down

# run: services, migrate, seed demo data when empty, then serve with the
# in-process sync worker.
run: build services
	@$(SVC_ENV) && scripts/run.sh

# test: services and a headless chromium (scripts/browser.sh installs it
# when missing, for the explorer's browser tests), then every test
# (integration tests use the real services).
test: services
	@scripts/browser.sh >/dev/null
	@$(SVC_ENV) && $(GO) vet ./... && $(GO) test -count=1 -timeout 20m ./...

# bench: the side-by-side benchmark over 1,000,000 seeded assets (issue 6),
# in its own database (assets_bench) and index prefix (bench); the first run
# seeds and indexes them, later runs reuse them. Results: .bench/; a full-size
# run is also recorded in docs/bench/ and compared with the previous one there
# (latest.md, latest.svg). Flags go
# through BENCH_ARGS, e.g. make bench BENCH_ARGS='--assets 50000 --duration 5s'.
bench: lab services
	@scripts/browser.sh >/dev/null
	@$(SVC_ENV) && bin/assets-lab bench --bin bin/assets $(BENCH_ARGS)

# drills: the fault drills (issue 6) in a database and index of their own;
# each ends with assets verify; bin/assets-lab runs them on bin/assets. It
# stops and restarts PostgreSQL and Elasticsearch for a moment. DRILLS_ARGS="--only kill-worker" picks drills.
drills: lab services
	@$(SVC_ENV) && scripts/drills.sh $(DRILLS_ARGS)

fuzz:
	$(GO) test ./rsql/ -run '^$$' -fuzz FuzzParse -fuzztime 60s

clean:
	rm -rf bin

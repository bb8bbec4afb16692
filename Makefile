# The two commands: `make run` and `make test`. Both start the real services
# (PostgreSQL and Elasticsearch) first; see scripts/services.sh.
SHELL := /bin/bash
GO ?= go
SERVICES := scripts/services.sh
# Export the URLs the services script prints, for every recipe line.
SVC_ENV = set -a && eval "$$($(SERVICES) env)" && set +a

.PHONY: run test services services-down build vet fuzz bench drills clean

build:
	$(GO) build -o bin/assets ./cmd/assets

services:
	@$(SERVICES) up

services-down:
	@$(SERVICES) down

# run: services, migrate, seed demo data when empty, then serve with the
# in-process sync worker.
run: build services
	@$(SVC_ENV) && scripts/run.sh

# test: services, then every test (integration tests use the real services).
test: services
	@$(SVC_ENV) && $(GO) vet ./... && $(GO) test -count=1 -timeout 20m ./...

# bench: the side-by-side benchmark over 1,000,000 seeded assets (issue 6).
bench: build services
	@$(SVC_ENV) && bin/assets bench

# drills: the fault drills; each ends with assets verify (issue 6).
drills: build services
	@$(SVC_ENV) && bin/assets drills

fuzz:
	$(GO) test ./rsql/ -run '^$$' -fuzz FuzzParse -fuzztime 60s

clean:
	rm -rf bin

# The two commands of the README, and a few shortcuts.
.PHONY: run test setup build measure bench scale-bench soak conformance fmt

run:      ## install what is missing, build in release, serve on 127.0.0.1:3000
	./scripts/run

test:     ## every check: fmt, clippy, unit, integration (SQLite + PostgreSQL), Playwright
	./scripts/test

setup:    ## only install the tools
	./scripts/setup --test

build:    ## release build of server and WASM bundle
	./scripts/build

measure:  ## size and start-up figures for the README
	./scripts/measure-size

bench:    ## the key check's speed with wrk (a script that prints figures, not a test)
	./scripts/bench

scale-bench: ## 3 instances on PostgreSQL behind nginx: revocation latency, key checks/s over 1-3 instances (figures)
	./scripts/scale-test bench

soak:     ## 5 minutes of mixed load over 3 instances behind nginx: errors, RSS, p99, delete racing use (figures)
	./scripts/scale-test soak

conformance: ## the HTTP API behind nginx (auth_request) and under schemathesis
	./scripts/api-conformance

fmt:
	cargo fmt --all

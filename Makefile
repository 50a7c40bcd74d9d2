# Stator: `make run` starts the app, `make test` runs every test (browser tests included).
GO       ?= go
# ADDR and DB are empty unless set (`make run ADDR=:9000` or `ADDR=:9000 make run`):
# then the server's own defaults and STATOR_ADDR/STATOR_DB apply.
ADDR     ?=
DB       ?=
FUZZTIME ?= 30s
PKGS      = ./...

.PHONY: run build test vet generate check-generated bench load bench-ui fuzz clean assets pg pg-stop

run:
	$(GO) run ./cmd/web$(if $(ADDR), --addr $(ADDR))$(if $(DB), --db $(DB))

build:
	$(GO) build -o bin/stator ./cmd/web

vet:
	$(GO) vet $(PKGS)
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { echo "gofmt would change:"; gofmt -l .; exit 1; }

# Every test. With STATOR_TEST_POSTGRES set (CI; `make pg` locally) the store
# contract runs on PostgreSQL too, and the API tests run a second time on it.
test: vet check-generated
	@if [ -z "$$STATOR_TEST_POSTGRES" ] && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		echo "starting a throw-away PostgreSQL for the tests (.ci/pg; make pg-stop removes it)"; eval "$$(.ci/pg start)"; fi; \
	set -e; $(GO) test -count=1 -timeout 20m $(PKGS); \
	if [ -n "$$STATOR_TEST_POSTGRES" ]; then echo "API tests on PostgreSQL:"; STATOR_TEST_DB=postgres $(GO) test -count=1 -timeout 10m ./web/; \
	else echo "no PostgreSQL server: the PostgreSQL tests were skipped (apt-get install -y postgresql, or set STATOR_TEST_POSTGRES)"; fi

# Starts a throw-away PostgreSQL server (Debian's postgresql package) and
# prints the line to export; then `make test` runs the PostgreSQL suites too:
#   eval "$$(make -s pg)"
pg:
	@.ci/pg start

pg-stop:
	@.ci/pg stop

generate:
	$(GO) tool templ generate

# Fails when the committed *_templ.go files are not what `templ generate` makes.
check-generated:
	@$(GO) tool templ generate >/dev/null 2>&1 || { echo "templ generate failed"; $(GO) tool templ generate; exit 1; }
	@git diff --quiet -- '*_templ.go' 2>/dev/null || { echo "templ generate changed these files; run 'make generate' and commit them:"; git diff --stat -- '*_templ.go'; exit 1; }

# Engine benchmarks, then Stator against qmuntal/stateless and looplab/fsm (the
# bench/ module, which checks first that all of them answer alike); prints the
# table of medians and the ratios. Raw output stays in bin/bench-*.txt.
BENCHCOUNT ?= 5
bench:
	@mkdir -p bin
	$(GO) test -run '^$$' -bench . -benchmem -count $(BENCHCOUNT) ./engine/ > bin/bench-engine.txt || { cat bin/bench-engine.txt; exit 1; }
	cd bench && $(GO) test -run '^TestEquivalent$$' -bench . -benchmem -count $(BENCHCOUNT) . > ../bin/bench-peers.txt || { cat ../bin/bench-peers.txt; exit 1; }
	cd bench && $(GO) run ./cmd/benchtable ../bin/bench-engine.txt ../bin/bench-peers.txt

# Starts bin/stator on a fresh database and drives entity events over HTTP
# (bench/cmd/load): events/s, p50/p95/p99, peak memory, integrity check.
LOADFLAGS ?=
load: build
	cd bench && $(GO) run ./cmd/load --bin ../bin/stator $(LOADFLAGS)

# Starts bin/stator on a fresh database and opens the order example, a
# 300-state and a 1,000-state machine in headless Chromium (bench/cmd/uibench):
# time to the first diagram, key waits and long tasks while typing, redraw
# time, pan/zoom (SPEC 10's browser budgets). UIBENCHFLAGS e.g. "--runs 3".
UIBENCHFLAGS ?=
bench-ui: build
	cd bench && $(GO) run ./cmd/uibench --bin ../bin/stator $(UIBENCHFLAGS)

# Each fuzz target runs for FUZZTIME; `go test` alone runs the committed seeds.
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME) ./engine/
	$(GO) test -run '^$$' -fuzz '^FuzzExpression$$' -fuzztime $(FUZZTIME) ./engine/
	$(GO) test -run '^$$' -fuzz '^FuzzEvalVM$$' -fuzztime $(FUZZTIME) ./engine/
	$(GO) test -run '^$$' -fuzz '^FuzzMermaid$$' -fuzztime $(FUZZTIME) ./engine/
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeJSON$$' -fuzztime $(FUZZTIME) ./web/handlers/api/
	$(GO) test -run '^$$' -fuzz '^FuzzTrace$$' -fuzztime $(FUZZTIME) ./engine/sim/
	$(GO) test -run '^$$' -fuzz '^FuzzEdit$$' -fuzztime $(FUZZTIME) ./engine/yamledit/

clean:
	rm -rf bin

# Rebuilds web/static/vendor (editor.js and mermaid-elk.js bundles, htmx, mermaid, panzoom) and web/static/VERSIONS
# from the versions pinned in web/editor/package-lock.json. Needs node + npm and the npm registry.
assets:
	cd web/editor && npm ci --no-audit --no-fund --ignore-scripts && node build.mjs

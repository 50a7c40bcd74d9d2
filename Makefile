# Stator: `make run` starts the app, `make test` runs every test (browser tests included).
GO       ?= go
ADDR     ?= 127.0.0.1:8080
DB       ?= stator.db
FUZZTIME ?= 30s
PKGS      = ./...

.PHONY: run build test vet generate check-generated bench fuzz clean assets

run:
	$(GO) run ./cmd/web --addr $(ADDR) --db $(DB)

build:
	$(GO) build -o bin/stator ./cmd/web

vet:
	$(GO) vet $(PKGS)
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { echo "gofmt would change:"; gofmt -l .; exit 1; }

test: vet
	$(GO) test -count=1 $(PKGS)

generate:
	$(GO) generate $(PKGS)

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./engine/

# Each fuzz target runs for FUZZTIME; `go test` alone runs the committed seeds.
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME) ./engine/
	$(GO) test -run '^$$' -fuzz '^FuzzExpression$$' -fuzztime $(FUZZTIME) ./engine/

clean:
	rm -rf bin

# Rebuilds web/static/vendor (editor.js bundle, htmx, mermaid) and web/static/VERSIONS
# from the versions pinned in web/editor/package-lock.json. Needs node + npm and the npm registry.
assets:
	cd web/editor && npm ci --no-audit --no-fund --ignore-scripts && node build.mjs

# zoneup: build, test and deliver. Every target runs on a Linux build host;
# the Solaris and illumos binaries come from `make cross`.
GO        ?= go
BIN       := $(CURDIR)/bin
DTD       := $(CURDIR)/../shared/reference/service_bundle.dtd.1
DESTDIR   ?=
PREFIX    ?= /usr
VERSION   ?= 0.1.0
CROSS_OS  := solaris illumos

export ZONEUP_BIN := $(BIN)

.PHONY: all build test unit vet cross lint smf-check man-check demo bench fuzz install p5m clean

all: build

build:
	$(GO) build -o $(BIN)/zoneupd ./cmd/zoneupd
	$(GO) build -o $(BIN)/zoneupadm ./cmd/zoneupadm
	$(GO) build -o $(BIN)/zonesim ./cmd/zonesim

# make test: everything CI runs. Unit, simulator integration, crash and fleet
# tests, the manifest against the DTD, the man pages, and the cross builds.
test: build vet smf-check man-check cross
	$(GO) test -count=1 -timeout 9m ./...

vet:
	$(GO) vet ./...

cross:
	@for os in $(CROSS_OS); do \
	  echo "cross $$os/amd64"; \
	  CGO_ENABLED=0 GOOS=$$os GOARCH=amd64 $(GO) build -o $(BIN)/$$os-amd64/zoneupd ./cmd/zoneupd || exit 1; \
	  CGO_ENABLED=0 GOOS=$$os GOARCH=amd64 $(GO) build -o $(BIN)/$$os-amd64/zoneupadm ./cmd/zoneupadm || exit 1; \
	  CGO_ENABLED=0 GOOS=$$os GOARCH=amd64 $(GO) vet ./host/ ./persist/ ./fsm/ ./daemon/... ./smf/ || exit 1; \
	done

smf-check:
	xmllint --noout --nonet --dtdvalid $(DTD) smf/zoneup.xml

man-check:
	mandoc -T lint -W warning man/zoneupd.8
	mandoc -T lint -W warning man/zoneupadm.8

lint: vet smf-check man-check
	@test -z "$$(gofmt -l .)" || { gofmt -l .; echo "gofmt: files above need formatting"; exit 1; }

# Fuzz every parser for FUZZTIME each (the seed corpora run in make test).
FUZZTIME ?= 30s
fuzz:
	@for f in $$($(GO) test -list '^Fuzz' ./host/ | grep ^Fuzz); do \
	  echo "fuzz $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) ./host/ || exit 1; \
	done

demo: build
	$(GO) run ./cmd/zoneup-demo -bin $(BIN)

bench: build
	$(GO) test -run '^$$' -bench . -benchtime 1x -count 1 ./...

clean:
	rm -rf $(BIN)

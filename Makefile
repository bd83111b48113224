# zoneup: build, test and deliver. Every target runs on a Linux build host;
# the Solaris and illumos binaries come from `make cross`.
GO        ?= go
BIN       := $(CURDIR)/bin
VERSION   ?= 0.1.0
CROSS_OS  := solaris illumos

export ZONEUP_BIN := $(BIN)

# Nothing here reads outside the tree, and make demo and make test need Go
# alone. xmllint and mandoc add checks where they are installed:
#   DTD=path    the service_bundle DTD for smf-check (default: the host's own,
#               where Solaris and illumos install it)
#   STRICT=1    a check skipped for want of xmllint, mandoc or a DTD fails
#               instead (CI: .ci/run)
HOST_DTD := /usr/share/lib/xml/dtd/service_bundle.dtd.1
DTD      ?= $(wildcard $(HOST_DTD))
STRICT   ?=
MANPAGES := man/zoneupd.8 man/zoneupadm.8
# ZONEUP_DTD: the DTD's absolute path, for smf-check and the smf tests.
ifneq ($(strip $(DTD)),)
export ZONEUP_DTD := $(abspath $(DTD))
else
unexport ZONEUP_DTD
ZONEUP_DTD :=
endif

# $(SKIP) defines the shell function skip MESSAGE: the one-line note, and
# success; with STRICT set (and not 0) the note, and failure.
SKIP = skip() { case "$(STRICT)" in ''|0) echo "$$1";; *) echo "$$1 (STRICT=$(STRICT): failing)" >&2; exit 1;; esac; }

.PHONY: all build test unit vet cross lint smf-check man-check demo bench fuzz install p5m install-check clean

all: build

# The version zoneupd --version, zoneupadm version and info print.
LDFLAGS := -X zoneup/daemon/api.Version=$(VERSION)

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/zoneupd ./cmd/zoneupd
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/zoneupadm ./cmd/zoneupadm
	$(GO) build -o $(BIN)/zonesim ./cmd/zonesim

# make test: everything CI runs. Unit, simulator integration, crash and fleet
# tests, the manifest (in Go; and against the DTD with xmllint), the man
# pages (mandoc), and the cross builds.
test: build vet smf-check man-check cross install-check
	$(GO) test -count=1 -timeout 9m ./...

vet:
	$(GO) vet ./...

# cross: the binaries for solaris and illumos, and vet of every package whose
# tests run there too. The daemon package is only built: its tests drive
# zonesim, which locks its world with flock(2) (Linux and the BSDs).
cross:
	@for os in $(CROSS_OS); do \
	  echo "cross $$os/amd64"; \
	  CGO_ENABLED=0 GOOS=$$os GOARCH=amd64 $(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/$$os-amd64/zoneupd ./cmd/zoneupd || exit 1; \
	  CGO_ENABLED=0 GOOS=$$os GOARCH=amd64 $(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/$$os-amd64/zoneupadm ./cmd/zoneupadm || exit 1; \
	  CGO_ENABLED=0 GOOS=$$os GOARCH=amd64 $(GO) vet ./domain/... ./host/ ./persist/... ./fsm/ ./smf/ ./daemon/api/... ./daemon/client/ ./cmd/zoneupadm/ || exit 1; \
	  CGO_ENABLED=0 GOOS=$$os GOARCH=amd64 $(GO) build -o /dev/null ./daemon/ || exit 1; \
	done

# smf-check: the manifest's tests in Go (structure and element order
# against the portable part of the DTD, and every SPEC 7 requirement), then,
# with xmllint and a DTD, validation against the DTD itself. The manifest
# names the DTD where Solaris keeps it; an XML catalog maps that path to the
# DTD given, so xmllint validates against it quietly.
smf-check:
	$(GO) test -count=1 -run '^TestManifest' ./smf/
	@$(SKIP); \
	if [ -z '$(ZONEUP_DTD)' ]; then \
	  skip "smf-check: skipped DTD validation (no DTD: pass DTD=path/service_bundle.dtd.1)"; \
	elif [ ! -f '$(ZONEUP_DTD)' ]; then \
	  echo "smf-check: DTD=$(DTD): no such file" >&2; exit 1; \
	elif ! command -v xmllint >/dev/null 2>&1; then \
	  skip "smf-check: skipped DTD validation (xmllint not installed: apt-get install libxml2-utils)"; \
	else \
	  cat=$$(mktemp) && trap 'rm -f "$$cat"' EXIT && \
	  printf '<?xml version="1.0"?>\n<catalog xmlns="urn:oasis:names:tc:entity:xmlns:xml:catalog">\n<system systemId="$(HOST_DTD)" uri="file://%s"/>\n</catalog>\n' '$(ZONEUP_DTD)' > "$$cat" && \
	  echo "xmllint --noout --nonet --valid smf/zoneup.xml  (DTD: $(ZONEUP_DTD))" && \
	  XML_CATALOG_FILES=$$cat xmllint --noout --nonet --valid smf/zoneup.xml; \
	fi

man-check:
	@$(SKIP); \
	if ! command -v mandoc >/dev/null 2>&1; then \
	  skip "man-check: skipped (mandoc not installed: apt-get install mandoc)"; \
	else \
	  for m in $(MANPAGES); do \
	    echo "mandoc -T lint -W warning $$m"; mandoc -T lint -W warning "$$m" || exit 1; \
	  done; \
	fi

# make install DESTDIR=proto [INSTALL_OS=solaris]: the tree the package
# delivers, with the delivered modes, for `make p5m` and
# `pkgsend publish -d proto`. The binaries are the cross build of
# INSTALL_OS (default illumos: OpenIndiana, OmniOS; solaris: Solaris 11.4),
# the same command and output as `make cross`. Owners and groups are the
# package's business (pkg/mkp5m.sh), so no root is needed here.
DESTDIR    ?= proto
INSTALL_OS ?= illumos
INSTALL    ?= install
P5M        ?= pkg/zoneup.p5m
INSTALL_DIRS := usr usr/lib usr/lib/zoneup usr/sbin usr/share usr/share/man usr/share/man/man8 \
	var var/svc var/svc/manifest var/svc/manifest/application

install:
	@case "$(INSTALL_OS)" in illumos|solaris) ;; *) echo "make install: INSTALL_OS is illumos or solaris, not $(INSTALL_OS)" >&2; exit 1;; esac
	@test -n "$(DESTDIR)" -a "$(DESTDIR)" != / || { echo "make install: DESTDIR must be a staging folder (e.g. proto), never /; install on a host with pkg(1)" >&2; exit 1; }
	CGO_ENABLED=0 GOOS=$(INSTALL_OS) GOARCH=amd64 $(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/$(INSTALL_OS)-amd64/zoneupd ./cmd/zoneupd
	CGO_ENABLED=0 GOOS=$(INSTALL_OS) GOARCH=amd64 $(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/$(INSTALL_OS)-amd64/zoneupadm ./cmd/zoneupadm
	@for d in $(INSTALL_DIRS); do $(INSTALL) -d -m 0755 "$(DESTDIR)/$$d" || exit 1; done
	$(INSTALL) -d -m 0700 "$(DESTDIR)/var/zoneup"
	$(INSTALL) -m 0555 $(BIN)/$(INSTALL_OS)-amd64/zoneupd "$(DESTDIR)/usr/lib/zoneup/zoneupd"
	$(INSTALL) -m 0555 $(BIN)/$(INSTALL_OS)-amd64/zoneupadm "$(DESTDIR)/usr/sbin/zoneupadm"
	$(INSTALL) -m 0444 smf/zoneup.xml "$(DESTDIR)/var/svc/manifest/application/zoneup.xml"
	$(INSTALL) -m 0444 man/zoneupd.8 man/zoneupadm.8 "$(DESTDIR)/usr/share/man/man8/"

# make p5m: pkg/zoneup.p5m (P5M) from the install tree, after installing it.
p5m: install
	sh pkg/mkp5m.sh "$(DESTDIR)" $(VERSION) > $(P5M).tmp
	mv $(P5M).tmp $(P5M)

# install-check (part of make test): install and p5m into a scratch folder;
# every installed file and folder is in the p5m with its mode, as delivered.
install-check:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(MAKE) --no-print-directory -s p5m DESTDIR="$$tmp/proto" P5M="$$tmp/zoneup.p5m" && \
	sh pkg/checkp5m.sh "$$tmp/proto" "$$tmp/zoneup.p5m" $(VERSION)

lint: vet smf-check man-check
	@test -z "$$(gofmt -l .)" || { gofmt -l .; echo "gofmt: files above need formatting"; exit 1; }

# Fuzz every parser (domain, host, smf) and the job JSON encoder for FUZZTIME each;
# the seed corpora run in make test.
FUZZTIME ?= 30s
FUZZPKGS ?= ./domain/ ./host/ ./smf/ ./daemon/api/
fuzz:
	@for p in $(FUZZPKGS); do \
	  for f in $$($(GO) test -list '^Fuzz' $$p | grep ^Fuzz); do \
	    echo "fuzz $$p $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$p || exit 1; \
	  done; \
	done

demo: build
	bash demo/demo.sh $(BIN)

bench: build
	@micro=$$(mktemp) && trap 'rm -f "$$micro" "$$micro.failed"' EXIT && \
	echo "$(GO) test -run '^$$' -bench . -benchtime 1x -count 1 ./..." && \
	{ $(GO) test -run '^$$' -bench . -benchtime 1x -count 1 ./... 2>&1 || touch "$$micro.failed"; } | tee "$$micro" && \
	test ! -e "$$micro.failed" && \
	echo "ZONEUP_BENCH_SUITE=1 $(GO) test -run '^TestBenchmarkSuite$$' -timeout 20m -count=1 -v ./bench/  (writes docs/BENCHMARKS.md)" && \
	ZONEUP_BENCH_MICRO="$$micro" ZONEUP_BENCH_SUITE=1 $(GO) test -run '^TestBenchmarkSuite$$' -timeout 20m -count=1 -v ./bench/

clean:
	rm -rf $(BIN)

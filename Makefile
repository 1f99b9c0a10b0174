# audetect front door: `make` builds, `make test` tests, `make demo` runs the main job on bundled data.
SHELL := /bin/bash
JOBS  ?= $(shell nproc)
WERROR := $(if $(CI),ON,OFF)
RELEASE := build/release
DEBUG   := build/debug
FUZZ_SECONDS ?= 60

.PHONY: all deps release debug test demo bench fuzz clean

all: release

deps:
	@bash scripts/install-deps.sh

# `make` and `make demo` build the program only; `make bench` adds the benchmarks.
release: deps
	@cmake --preset release >/dev/null
	@cmake --build $(RELEASE) -j $(JOBS) --target audetect

debug: deps
	@cmake --preset debug -DAUDETECT_WERROR=$(WERROR) >/dev/null
	@cmake --build $(DEBUG) -j $(JOBS)

# The sanitizer build runs every test; conformance summaries are printed at the end.
test: debug
	@cd $(DEBUG) && ctest --output-on-failure -j $(JOBS) --timeout 900 | tee ctest-output.txt; \
	  rc=$${PIPESTATUS[0]}; \
	  grep -E '^[0-9]+% tests passed' ctest-output.txt > ctest-verdict.txt; \
	  bash ../../scripts/test-summary.sh . ; exit $$rc

demo: release
	@bash scripts/demo.sh $(RELEASE)/audetect

bench: release
	@cmake --build $(RELEASE) -j $(JOBS)
	@bash bench/run.sh $(RELEASE)

fuzz: deps
	@cmake --preset fuzz >/dev/null
	@cmake --build build/fuzz -j $(JOBS)
	@bash fuzz/run.sh build/fuzz $(FUZZ_SECONDS)

clean:
	rm -rf build

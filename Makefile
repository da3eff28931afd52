# minisan: the one entry point. Build output goes to out/.
#   make run     build and start the target on 127.0.0.1:3260 (foreground)
#   make check   the whole test suite; ends with "N passed, N failed"
#   make         build out/bin/minisand (static, musl)
#   make deps    install missing Debian packages (apt-get)
#   make fuzz    run every libFuzzer target (FUZZ_SECONDS each, default 120)
#   make bench   minisand vs tgt on loopback (BENCH_SECONDS each, default 10)
# Planned by the open issues: make image (appliance), make san; see
# README.md.
OUT := $(CURDIR)/out
DAEMON := $(MAKE) -C target-daemon OUT=$(OUT)

.PHONY: all deps daemon asan unit-tests fuzz bench check run clean distclean

all: daemon

deps:
	@ci/deps.sh

daemon: deps
	@$(DAEMON) daemon

asan: deps
	@$(DAEMON) asan

unit-tests: deps
	@$(DAEMON) unit-tests

# FUZZ_SECONDS per target (default 120)
fuzz: deps
	@$(DAEMON) fuzzers
	@ci/fuzz.sh $${FUZZ_SECONDS:-120}

# BENCH_SECONDS per workload and target (default 10); results in out/bench/
bench: deps
	@$(DAEMON) daemon bench-tools
	@ci/bench.sh

check: deps
	@ci/check.sh

run: daemon
	@ci/run-daemon.sh

clean:
	@$(DAEMON) clean

distclean:
	rm -rf $(OUT)

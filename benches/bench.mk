# `make bench`: the one benchmark suite (benches/suite), one command, one
# run, one table (docs/BENCHMARKS.md); the same figures go to
# build/bench.json. Not part of `make test`, never run by CI.
#
# The decode peers (pugixml, TinyXML-2, expat) are C/C++ libraries: their
# Debian packages are installed here when missing (root, or sudo), and the
# harness benches/peers/peers.cpp is built against them.

BENCH_PEERS := $(BUILD)/bench/peers
BENCH_PEER_PACKAGES := libpugixml-dev libtinyxml2-dev libexpat1-dev

.PHONY: bench bench-peer-packages

bench: $(BENCH_PEERS)
	$(CARGO) bench --bench suite -- --peers $(BENCH_PEERS) --json $(BUILD)/bench.json

bench-peer-packages:
	@missing=""; \
	for p in $(BENCH_PEER_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "make bench: installing the decode peers:$$missing"; \
	  sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  $$sudo apt-get update -qq && \
	  $$sudo apt-get install -y -qq -o DPkg::Lock::Timeout=600 $$missing; \
	fi

$(BENCH_PEERS): benches/peers/peers.cpp | bench-peer-packages
	@mkdir -p $(dir $@)
	$(CXX) -O2 -std=c++17 $(CWARN) $< -o $@ -lpugixml -ltinyxml2 -lexpat

# tests/soak.mk -- the soak (tests/soak.rs, docs/SOAK.md). Included by the
# top-level Makefile, which provides CARGO.
#
#   make soak [SECONDS=60] [SEED=n]   release build, many threads driving the
#                                     C API against the simulator through
#                                     every fault phase; exit 1 on a violation
#
# `cargo test --all-targets` (make test) runs the same soak for 20 s in the
# test profile. SEED defaults to one taken from the clock (printed).

SECONDS ?= 60
SEED ?=

.PHONY: soak

soak:
	SOAK_SECONDS=$(SECONDS) SOAK_SEED=$(SEED) $(CARGO) test --release --test soak

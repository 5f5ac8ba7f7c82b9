# ivrconf: `make test` runs every suite; `make demo` runs the flows;
# `make sanitize` runs the C programs under ASan/UBSan and valgrind;
# `make header` regenerates include/ivrconf.h.
CARGO ?= cargo
CC ?= gcc
CXX ?= g++
BUILD := build
CWARN := -Wall -Wextra -Werror
HEADER := include/ivrconf.h

.PHONY: all lib test test-rust test-header header header-fresh demo clean

# The C programs (examples, API tests, demo) and the Python binding bring
# their own rules: targets `c-tests`, `demo-run` and `python-tests`.
include examples-c/examples.mk
include python/python.mk
# The C++ binding's examples and tests: target `cpp-tests`, part of `make test`.
include examples-cpp/examples.mk
# `make install` / `make uninstall` (PREFIX, DESTDIR) and their test, part of `make test`.
include packaging/install.mk
# `make soak SECONDS=... SEED=...` (tests/soak.rs, docs/SOAK.md).
include tests/soak.mk
include benches/bench.mk

all: lib

lib:
	$(CARGO) build --release --lib

# The header is generated on request only, by a tool crate of its own
# (tools/header, cbindgen as a library), so building the library never
# compiles cbindgen. HEADER_GEN OUT writes the header to OUT.
HEADER_GEN = $(CARGO) run --quiet --manifest-path tools/header/Cargo.toml --target-dir target/header -- $(1)

# Regenerates include/ivrconf.h (rewritten only when its content changes).
header:
	$(call HEADER_GEN,$(HEADER))

# The committed header must be what the code generates: a scratch copy is
# generated into $(BUILD)/ and compared.
header-fresh: | $(BUILD)
	@$(call HEADER_GEN,$(BUILD)/ivrconf.h)
	@diff -u $(HEADER) $(BUILD)/ivrconf.h || { \
	  echo "include/ivrconf.h is stale: it differs from what the code generates (diff above);"; \
	  echo "run 'make header' and commit include/ivrconf.h"; exit 1; }

test-rust:
	$(CARGO) test --all-targets
	$(CARGO) test --doc

$(BUILD):
	mkdir -p $(BUILD)

# The header compiles as C99, C11 and C++11, and its version macros agree
# with the library's functions.
test-header: lib | $(BUILD)
	$(CC) -std=c99 -Wall -Wextra -Wpedantic -Werror -Iinclude -fsyntax-only tests/c/header_compiles.c
	$(CC) -std=c11 -Wall -Wextra -Wpedantic -Werror -Iinclude -fsyntax-only tests/c/header_compiles.c
	$(CXX) -std=c++11 -Wall -Wextra -Wpedantic -Werror -Iinclude -x c++ -fsyntax-only tests/c/header_compiles.c
	$(CC) -std=c99 $(CWARN) -Iinclude tests/c/version_test.c -o $(BUILD)/version_test -Ltarget/release -l:libivrconf.a -lpthread -ldl -lm
	$(BUILD)/version_test

# The trace tool (tools/trace, a crate and workspace of its own like
# tools/header): renders the sample traces of tests/trace_samples and checks
# the pictures, with rsvg-convert (librsvg2-bin) drawing the SVG.
.PHONY: trace-tests
trace-tests:
	$(CARGO) test --manifest-path tools/trace/Cargo.toml --target-dir target/trace

test: header-fresh test-rust test-header c-tests python-tests trace-tests
	@echo "make test: all suites passed"

# The main job: every conference and transfer flow (docs/CALL-MODEL.md)
# against the bundled simulator.
demo: demo-run

clean:
	$(CARGO) clean
	rm -rf $(BUILD)

# The documentation check (tests/docs/docs.mk): links, anchors, labels and
# no reference to documents outside the repository; `make test` runs it.
include tests/docs/docs.mk

# examples-c/examples.mk -- the C programs: examples, the demo and the C API
# tests. Included by the top-level Makefile, which provides CC, CARGO, BUILD
# and the `lib` target (cargo build --release); python/python.mk provides
# PYTHON.
#
#   make c-tests    build every program into $(BUILD)/ and run it: each must
#                   exit 0 and print the outcome its flow must end with; then
#                   `demo-check`
#   make demo-run   build and run the demo (every flow, `make demo`): prints
#                   each flow's call trace and writes $(BUILD)/demo/<flow>.jsonl,
#                   <flow>.svg (drawn by ivrconf-trace) and index.html
#   make demo-check the demo again, its output checked by
#                   tests/demo/check_demo.py (flows, pictures, docs/DEMO.md)
#   make demo-doc   the demo, then docs/DEMO.md's copy of a run and docs/c5.svg
#                   rewritten from it
#   make sanitize   the c-tests programs and the demo again: built with ASan
#                   and UBSan into $(BUILD)/asan/ and run, then the plain
#                   builds run under valgrind memcheck; any finding fails the run

C_LIB := target/release/libivrconf.a
C_FLAGS := -std=c99 -Wall -Wextra -Werror -Iinclude -Iexamples-c -Itests/c
C_LIBS := $(C_LIB) -lpthread -ldl -lm
# A hung program fails the run instead of blocking it.
C_RUN_TIMEOUT := timeout 60

C_EXAMPLES := one_step_conference consult_conference consult_busy consult_failed \
              transfer poll_mode trace
C_API_TESTS := $(sort $(basename $(notdir $(wildcard tests/c/api_*.c))))

# The line each example must print (its outcome, as its flow must end).
C_EXPECT_one_step_conference := outcome COMPLETED, state CONFERENCED, 3 parties: as expected
C_EXPECT_consult_conference := outcome COMPLETED, state CONFERENCED, 3 parties: as expected
C_EXPECT_consult_busy := outcome BUSY, state ACTIVE, 2 parties: as expected
C_EXPECT_consult_failed := outcome FAILED, state ACTIVE, 2 parties: as expected
C_EXPECT_transfer := outcome COMPLETED, state TRANSFERRED
C_EXPECT_poll_mode := outcome CANCELLED, state ACTIVE, 2 parties: as expected
# trace.c exits 1 unless the consult ends as expected; the line shows that it
# printed the trace, frames from the server included.
C_EXPECT_trace := S->I CallStatus CallId=call-1 Event=ConfPartyAdd
C_EXPECT_demo := flows ended as expected: demo ok
C_EXPECT_api := all [0-9]* checks passed

C_HEADERS := include/ivrconf.h examples-c/example.h

$(BUILD)/%: examples-c/%.c $(C_HEADERS) $(C_LIB) | $(BUILD)
	$(CC) $(C_FLAGS) $< -o $@ $(C_LIBS)

$(BUILD)/%: tests/c/%.c tests/c/api_test.h $(C_HEADERS) $(C_LIB) | $(BUILD)
	$(CC) $(C_FLAGS) $< -o $@ $(C_LIBS)

# run-c NAME EXPECTED [RUNNER] [TAG]: shell code that runs $(BUILD)/NAME
# (under RUNNER, default the timeout; output kept in $(BUILD)/NAME[.TAG].out)
# and fails, showing the output, unless it exits 0 and printed a line
# matching EXPECTED.
run-c = start=$$(date +%s%N); out=$(BUILD)/$(1)$(if $(4),.$(4)).out; \
  if $(or $(3),$(C_RUN_TIMEOUT)) $(BUILD)/$(1) > $$out 2>&1 && grep -q "$(2)" $$out; then \
    echo "  ok   $(1)$(if $(4), [$(4)]) ($$(( ($$(date +%s%N) - start) / 1000000 )) ms)"; \
  else \
    cat $$out; echo "  FAIL $(1)$(if $(4), [$(4)]): exit status, or no line \"$(2)\""; exit 1; \
  fi

C_PROGRAMS := $(C_EXAMPLES) $(C_API_TESTS)

.PHONY: c-tests c-programs demo-run demo-check demo-doc trace-tool sanitize

# The programs run one after another: some measure timers, and parallel
# runs on a loaded machine would only make them slower, not the suite faster.
# The demo is run and checked by demo-check.
c-tests: c-programs demo-check

c-programs: lib $(addprefix $(BUILD)/,$(C_PROGRAMS))
	@echo "C examples and API tests:"
	@$(foreach x,$(C_PROGRAMS),$(call run-c,$(x),$(or $(C_EXPECT_$(x)),$(C_EXPECT_api)));)

# ---- the demo ----------------------------------------------------------------
# The demo program lives in the directory it writes its files to.
DEMO_DIR := $(BUILD)/demo
DEMO_BIN := $(DEMO_DIR)/demo
# What the program printed, kept for demo-check and demo-doc.
DEMO_OUT := $(DEMO_DIR)/demo.txt
# ivrconf-trace, built like `make trace-tests` builds it (same profile and
# target directory), so the two share one build.
TRACE_TOOL := target/trace/debug/ivrconf-trace
DEMO_CHECK = $(PYTHON) tests/demo/check_demo.py $(DEMO_DIR) docs/DEMO.md docs/c5.svg

# An older build kept the demo program at $(BUILD)/demo, now the directory.
$(DEMO_BIN): examples-c/demo.c $(C_HEADERS) $(C_LIB)
	@if [ -f $(DEMO_DIR) ]; then rm -f $(DEMO_DIR); fi
	@mkdir -p $(DEMO_DIR)
	$(CC) $(C_FLAGS) $< -o $@ $(C_LIBS)

trace-tool:
	$(CARGO) build --quiet --manifest-path tools/trace/Cargo.toml --target-dir target/trace

# demo-flows SHOW: shell code that runs the demo into $(DEMO_DIR) (files of
# an earlier run removed first), its output going through SHOW, which must
# write $(DEMO_OUT) ("tee", or "cat >" to keep it quiet); then draws each
# flow's trace as $(DEMO_DIR)/<flow>.svg. Fails when the demo failed (after
# drawing what it wrote) or a picture could not be drawn.
demo-flows = rm -f $(DEMO_DIR)/*.jsonl $(DEMO_DIR)/*.svg $(DEMO_DIR)/index.html $(DEMO_OUT); \
  { $(C_RUN_TIMEOUT) $(DEMO_BIN) $(DEMO_DIR); echo $$? > $(DEMO_DIR)/status; } | $(1) $(DEMO_OUT); \
  for f in $(DEMO_DIR)/*.jsonl; do \
    [ -f "$$f" ] || continue; \
    $(TRACE_TOOL) render "$$f" --svg "$${f%.jsonl}.svg" || exit 1; \
  done; \
  status=$$(cat $(DEMO_DIR)/status); \
  if [ "$$status" != 0 ]; then echo "demo failed (exit status $$status; its output: $(DEMO_OUT))"; exit 1; fi

demo-run: lib $(DEMO_BIN) trace-tool
	@$(call demo-flows,tee)
	@echo
	@echo "Each flow's trace as JSON lines: $(DEMO_DIR)/<flow>.jsonl"
	@echo "Each flow as a sequence diagram: $(DEMO_DIR)/<flow>.svg"
	@echo "Every flow on one page:          $(DEMO_DIR)/index.html"

demo-check: lib $(DEMO_BIN) trace-tool
	@( $(call demo-flows,cat >) ) || { cat $(DEMO_OUT); exit 1; }
	@$(DEMO_CHECK)

demo-doc: demo-run
	@$(PYTHON) tests/demo/check_demo.py --update $(DEMO_DIR) docs/DEMO.md docs/c5.svg

# Sanitizers: the same programs, the same expected lines. The Rust library
# itself is not instrumented (ASan still sees its heap through malloc); a
# UBSan finding aborts instead of printing and going on.
SAN_DIR := asan
SAN_FLAGS := -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
SAN_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1
# The demo runs here too (printing only: no directory given), from where its
# plain build lives.
SAN_PROGRAMS := $(C_PROGRAMS) demo
c-path = $(if $(filter demo,$(1)),demo/demo,$(1))

# Valgrind runs the plain builds: memory errors and definite leaks fail the
# run (blocks still reachable or possibly lost at exit, such as the Rust
# runtime's thread-local state, do not). Known false positives only are
# suppressed, each explained in examples-c/valgrind.supp. Valgrind runs
# programs many times slower, hence the longer timeout.
VALGRIND_SUPP := examples-c/valgrind.supp
VALGRIND := valgrind --tool=memcheck --error-exitcode=1 --leak-check=full \
            --errors-for-leak-kinds=definite --suppressions=$(VALGRIND_SUPP)
C_VALGRIND_TIMEOUT := timeout 600

$(BUILD)/$(SAN_DIR):
	mkdir -p $@

$(BUILD)/$(SAN_DIR)/%: examples-c/%.c $(C_HEADERS) $(C_LIB) | $(BUILD)/$(SAN_DIR)
	$(CC) $(C_FLAGS) $(SAN_FLAGS) $< -o $@ $(C_LIBS)

$(BUILD)/$(SAN_DIR)/%: tests/c/%.c tests/c/api_test.h $(C_HEADERS) $(C_LIB) | $(BUILD)/$(SAN_DIR)
	$(CC) $(C_FLAGS) $(SAN_FLAGS) $< -o $@ $(C_LIBS)

sanitize: lib $(addprefix $(BUILD)/$(SAN_DIR)/,$(SAN_PROGRAMS)) $(foreach x,$(SAN_PROGRAMS),$(BUILD)/$(call c-path,$(x)))
	@echo "C programs with AddressSanitizer and UndefinedBehaviorSanitizer:"
	@$(foreach x,$(SAN_PROGRAMS),$(call run-c,$(SAN_DIR)/$(x),$(or $(C_EXPECT_$(x)),$(C_EXPECT_api)),$(SAN_ENV) $(C_RUN_TIMEOUT));)
	@echo "C programs under valgrind memcheck:"
	@$(foreach x,$(SAN_PROGRAMS),$(call run-c,$(call c-path,$(x)),$(or $(C_EXPECT_$(x)),$(C_EXPECT_api)),$(C_VALGRIND_TIMEOUT) $(VALGRIND),valgrind);)

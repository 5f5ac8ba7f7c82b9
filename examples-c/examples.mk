# examples-c/examples.mk -- the C programs: examples, the demo and the C API
# tests. Included by the top-level Makefile, which provides CC, BUILD and the
# `lib` target (cargo build --release).
#
#   make c-tests    build every program into $(BUILD)/ and run it: each must
#                   exit 0 and print the outcome its flow must end with
#   make demo-run   build and run $(BUILD)/demo (every FLOWS.md flow)
#   make sanitize   the c-tests programs again: built with ASan and UBSan
#                   into $(BUILD)/asan/ and run, then the plain builds run
#                   under valgrind memcheck; any finding fails the run

C_LIB := target/release/libivrconf.a
C_FLAGS := -std=c99 -Wall -Wextra -Werror -Iinclude -Iexamples-c -Itests/c
C_LIBS := $(C_LIB) -lpthread -ldl -lm
# A hung program fails the run instead of blocking it.
C_RUN_TIMEOUT := timeout 60

C_EXAMPLES := one_step_conference consult_conference consult_busy consult_failed \
              transfer poll_mode trace
C_API_TESTS := $(sort $(basename $(notdir $(wildcard tests/c/api_*.c))))

# The line each example must print (its outcome, as FLOWS.md gives it).
C_EXPECT_one_step_conference := outcome COMPLETED, state CONFERENCED, 3 parties: as expected
C_EXPECT_consult_conference := outcome COMPLETED, state CONFERENCED, 3 parties: as expected
C_EXPECT_consult_busy := outcome BUSY, state ACTIVE, 2 parties: as expected
C_EXPECT_consult_failed := outcome FAILED, state ACTIVE, 2 parties: as expected
C_EXPECT_transfer := outcome COMPLETED, state TRANSFERRED
C_EXPECT_poll_mode := outcome CANCELLED, state ACTIVE, 2 parties: as expected
# trace.c exits 1 unless the consult ends as expected; the line shows that it
# printed the trace, frames from the server included.
C_EXPECT_trace := S->I CallStatus CallId=call-1 Event=ConfPartyAdd
C_EXPECT_demo := flows ended as FLOWS.md says: demo ok
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

C_PROGRAMS := $(C_EXAMPLES) demo $(C_API_TESTS)

.PHONY: c-tests demo-run sanitize

# The programs run one after another: some measure timers, and parallel
# runs on a loaded machine would only make them slower, not the suite faster.
c-tests: lib $(addprefix $(BUILD)/,$(C_PROGRAMS))
	@echo "C examples, demo and API tests:"
	@$(foreach x,$(C_PROGRAMS),$(call run-c,$(x),$(or $(C_EXPECT_$(x)),$(C_EXPECT_api)));)

demo-run: lib $(BUILD)/demo
	$(BUILD)/demo

# Sanitizers: the same programs, the same expected lines. The Rust library
# itself is not instrumented (ASan still sees its heap through malloc); a
# UBSan finding aborts instead of printing and going on.
SAN_DIR := asan
SAN_FLAGS := -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
SAN_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1

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

sanitize: lib $(addprefix $(BUILD)/$(SAN_DIR)/,$(C_PROGRAMS)) $(addprefix $(BUILD)/,$(C_PROGRAMS))
	@echo "C programs with AddressSanitizer and UndefinedBehaviorSanitizer:"
	@$(foreach x,$(C_PROGRAMS),$(call run-c,$(SAN_DIR)/$(x),$(or $(C_EXPECT_$(x)),$(C_EXPECT_api)),$(SAN_ENV) $(C_RUN_TIMEOUT));)
	@echo "C programs under valgrind memcheck:"
	@$(foreach x,$(C_PROGRAMS),$(call run-c,$(x),$(or $(C_EXPECT_$(x)),$(C_EXPECT_api)),$(C_VALGRIND_TIMEOUT) $(VALGRIND),valgrind);)

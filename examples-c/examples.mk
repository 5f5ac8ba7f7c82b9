# examples-c/examples.mk -- the C programs: examples, the demo and the C API
# tests. Included by the top-level Makefile, which provides CC, BUILD and the
# `lib` target (cargo build --release).
#
#   make c-tests    build every program into $(BUILD)/ and run it: each must
#                   exit 0 and print the outcome its flow must end with
#   make demo-run   build and run $(BUILD)/demo (every FLOWS.md flow)

C_LIB := target/release/libivrconf.a
C_FLAGS := -std=c99 -Wall -Wextra -Werror -Iinclude -Iexamples-c -Itests/c
C_LIBS := $(C_LIB) -lpthread -ldl -lm
# A hung program fails the run instead of blocking it.
C_RUN_TIMEOUT := timeout 60

C_EXAMPLES := one_step_conference consult_conference consult_busy consult_failed \
              transfer poll_mode
C_API_TESTS := $(sort $(basename $(notdir $(wildcard tests/c/api_*.c))))

# The line each example must print (its outcome, as FLOWS.md gives it).
C_EXPECT_one_step_conference := outcome COMPLETED, state CONFERENCED, 3 parties: as expected
C_EXPECT_consult_conference := outcome COMPLETED, state CONFERENCED, 3 parties: as expected
C_EXPECT_consult_busy := outcome BUSY, state ACTIVE, 2 parties: as expected
C_EXPECT_consult_failed := outcome FAILED, state ACTIVE, 2 parties: as expected
C_EXPECT_transfer := outcome COMPLETED, state TRANSFERRED
C_EXPECT_poll_mode := outcome CANCELLED, state ACTIVE, 2 parties: as expected
C_EXPECT_demo := flows ended as FLOWS.md says: demo ok
C_EXPECT_api := all [0-9]* checks passed

C_HEADERS := include/ivrconf.h examples-c/example.h

$(BUILD)/%: examples-c/%.c $(C_HEADERS) $(C_LIB) | $(BUILD)
	$(CC) $(C_FLAGS) $< -o $@ $(C_LIBS)

$(BUILD)/%: tests/c/%.c tests/c/api_test.h $(C_HEADERS) $(C_LIB) | $(BUILD)
	$(CC) $(C_FLAGS) $< -o $@ $(C_LIBS)

# run-c NAME EXPECTED: shell code that runs $(BUILD)/NAME (output kept in
# $(BUILD)/NAME.out) and fails, showing the output, unless it exits 0 and
# printed a line matching EXPECTED.
run-c = start=$$(date +%s%N); \
  if $(C_RUN_TIMEOUT) $(BUILD)/$(1) > $(BUILD)/$(1).out 2>&1 && grep -q "$(2)" $(BUILD)/$(1).out; then \
    echo "  ok   $(1) ($$(( ($$(date +%s%N) - start) / 1000000 )) ms)"; \
  else \
    cat $(BUILD)/$(1).out; echo "  FAIL $(1): exit status, or no line \"$(2)\""; exit 1; \
  fi

C_PROGRAMS := $(C_EXAMPLES) demo $(C_API_TESTS)

.PHONY: c-tests demo-run

# The programs run one after another: some measure timers, and parallel
# runs on a loaded machine would only make them slower, not the suite faster.
c-tests: lib $(addprefix $(BUILD)/,$(C_PROGRAMS))
	@echo "C examples, demo and API tests:"
	@$(foreach x,$(C_PROGRAMS),$(call run-c,$(x),$(or $(C_EXPECT_$(x)),$(C_EXPECT_api)));)

demo-run: lib $(BUILD)/demo
	$(BUILD)/demo

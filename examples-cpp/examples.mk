# examples-cpp/examples.mk -- the C++ binding (include/ivrconf.hpp): its
# examples and its tests. Included by the top-level Makefile after
# examples-c/examples.mk, whose C_LIB, C_LIBS, SAN_FLAGS, SAN_ENV, C_RUN_TIMEOUT,
# C_EXPECT_api and run-c it uses; `make test` runs `cpp-tests`.
#
#   make cpp-tests   1. the header alone compiles with g++ and clang++, C++17
#                       and C++20, with and without exceptions, under extra
#                       warnings; without exceptions the throwing API is gone
#                       (tests/cpp/throwing_api.cpp must not compile there);
#                    2. every example, built with $(CXX), runs against the
#                       in-process simulator and prints its outcome line;
#                    3. every test in tests/cpp/, built with g++ and with
#                       clang++ (-std=c++17 -Wall -Wextra -Wpedantic -Werror)
#                       under AddressSanitizer (leaks included) and
#                       UndefinedBehaviorSanitizer, passes; cpp_noexcept is
#                       built with -fno-exceptions.

CLANGXX ?= clang++
CPP_FLAGS := -std=c++17 -Wall -Wextra -Wpedantic -Werror -Iinclude -Iexamples-cpp -Itests/cpp
# Extra warnings the header alone must also pass (a driver may build with them).
CPP_HEADER_WARN := -Wall -Wextra -Wpedantic -Werror -Wshadow -Wconversion -Wsign-conversion \
                   -Wold-style-cast -Wnon-virtual-dtor
CPP_HEADERS := include/ivrconf.h include/ivrconf.hpp examples-cpp/example.hpp

CPP_EXAMPLES := consult_conference consult_busy consult_failed poll_mode multi_port
CPP_TESTS := cpp_values cpp_flows cpp_callback_errors cpp_lifetime cpp_noexcept
CPP_BUILD := $(BUILD)/cpp

# The line each example must print.
CPP_EXPECT_consult_conference := $(C_EXPECT_consult_conference)
CPP_EXPECT_consult_busy := $(C_EXPECT_consult_busy)
CPP_EXPECT_consult_failed := $(C_EXPECT_consult_failed)
CPP_EXPECT_poll_mode := $(C_EXPECT_poll_mode)
CPP_EXPECT_multi_port := 4 ports, 4 flows ended as expected

# Per-test flags: cpp_noexcept is the -fno-exceptions build.
CPP_FLAGS_cpp_noexcept := -fno-exceptions

$(CPP_BUILD)/ex $(CPP_BUILD)/gcc $(CPP_BUILD)/clang:
	mkdir -p $@

$(CPP_BUILD)/ex/%: examples-cpp/%.cpp $(CPP_HEADERS) $(C_LIB) | $(CPP_BUILD)/ex
	$(CXX) $(CPP_FLAGS) $< -o $@ $(C_LIBS)

$(CPP_BUILD)/gcc/%: tests/cpp/%.cpp tests/cpp/check.hpp $(CPP_HEADERS) $(C_LIB) | $(CPP_BUILD)/gcc
	$(CXX) $(CPP_FLAGS) $(SAN_FLAGS) $(CPP_FLAGS_$*) $< -o $@ $(C_LIBS)

$(CPP_BUILD)/clang/%: tests/cpp/%.cpp tests/cpp/check.hpp $(CPP_HEADERS) $(C_LIB) | $(CPP_BUILD)/clang
	$(CLANGXX) $(CPP_FLAGS) $(SAN_FLAGS) $(CPP_FLAGS_$*) $< -o $@ $(C_LIBS)

.PHONY: cpp-header cpp-tests

cpp-header:
	@command -v $(CLANGXX) >/dev/null || { echo "cpp-header: $(CLANGXX) not found (apt-get install clang)"; exit 1; }
	@for cxx in $(CXX) $(CLANGXX); do \
	  for std in c++17 c++20; do \
	    $$cxx -std=$$std $(CPP_HEADER_WARN) -Iinclude -fsyntax-only -x c++ include/ivrconf.hpp || exit 1; \
	    $$cxx -std=$$std $(CPP_HEADER_WARN) -fno-exceptions -Iinclude -fsyntax-only -x c++ include/ivrconf.hpp || exit 1; \
	  done; \
	  $$cxx -std=c++17 -Wall -Werror -Iinclude -fsyntax-only tests/cpp/throwing_api.cpp || exit 1; \
	  if $$cxx -std=c++17 -fno-exceptions -Iinclude -fsyntax-only tests/cpp/throwing_api.cpp 2>/dev/null; then \
	    echo "  FAIL ivrconf.hpp: the throwing API compiles with -fno-exceptions ($$cxx)"; exit 1; \
	  fi; \
	done
	@echo "  ok   ivrconf.hpp alone: $(CXX) and $(CLANGXX), C++17 and C++20, with and without exceptions"

cpp-tests: lib cpp-header $(addprefix $(CPP_BUILD)/ex/,$(CPP_EXAMPLES)) \
           $(addprefix $(CPP_BUILD)/gcc/,$(CPP_TESTS)) $(addprefix $(CPP_BUILD)/clang/,$(CPP_TESTS))
	@echo "C++ examples:"
	@$(foreach x,$(CPP_EXAMPLES),$(call run-c,cpp/ex/$(x),$(CPP_EXPECT_$(x)));)
	@echo "C++ tests with AddressSanitizer and UndefinedBehaviorSanitizer (g++, clang++):"
	@$(foreach c,gcc clang,$(foreach x,$(CPP_TESTS),$(call run-c,cpp/$(c)/$(x),$(C_EXPECT_api),$(SAN_ENV) $(C_RUN_TIMEOUT));))

test: cpp-tests

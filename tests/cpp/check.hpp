/*
 * check.hpp -- the checks shared by the C++ binding's tests (tests/cpp/).
 *
 * Each program counts its checks, prints one line per failed one (file,
 * line, expression, ivrconf::last_error()) and ends with t::finish(), which
 * prints "NAME: all N checks passed" and returns the exit status. No check
 * depends on timing: every wait has a generous timeout that only matters
 * when something is broken. Usable with and without exceptions.
 */
#ifndef IVRCONF_TESTS_CPP_CHECK_HPP
#define IVRCONF_TESTS_CPP_CHECK_HPP

#include <chrono>
#include <cstdio>
#include <exception>
#include <string>
#include <string_view>
#include <system_error>

#include "ivrconf.hpp"

namespace t {

using namespace std::chrono_literals;

inline int checks = 0;
inline int failures = 0;

inline bool record(bool ok, const char *what, const char *file, int line,
                   const std::string &detail = "") {
    checks++;
    if (!ok) {
        failures++;
        std::fprintf(stderr, "FAIL %s:%d: %s%s%s (last error: %s)\n", file, line, what,
                     detail.empty() ? "" : ": ", detail.c_str(),
                     std::string(ivrconf::last_error()).c_str());
    }
    return ok;
}

inline std::string describe(const std::error_code &ec) {
    return ec ? ec.message() : std::string("no error");
}

inline bool contains(std::string_view text, std::string_view word) {
    return text.find(word) != std::string_view::npos;
}

inline int finish(const char *name) {
    if (failures != 0) {
        std::printf("%s: %d of %d checks FAILED\n", name, failures, checks);
        return 1;
    }
    std::printf("%s: all %d checks passed\n", name, checks);
    return 0;
}

#if IVRCONF_HPP_EXCEPTIONS
/* Runs the test body; an exception escaping it fails the program with its
 * message instead of terminating it. */
template <class Body> int run(const char *name, Body body) {
    try {
        body();
    } catch (const std::exception &e) {
        std::fprintf(stderr, "FAIL %s: uncaught exception: %s\n", name, e.what());
        failures++;
    } catch (...) {
        std::fprintf(stderr, "FAIL %s: uncaught exception\n", name);
        failures++;
    }
    return finish(name);
}
#endif

} // namespace t

#define T_CHECK(cond) t::record((cond), #cond, __FILE__, __LINE__)

/* `ec` must hold `code` (an ivrconf::Result). */
#define T_EC(ec, code)                                                                \
    t::record((ec) == (code), #ec " == " #code, __FILE__, __LINE__,                   \
              "got " + t::describe(ec))

#if IVRCONF_HPP_EXCEPTIONS
/* `expr` must throw ivrconf::Error with `code`; its detail must contain
 * `word` ("" for any). */
#define T_THROWS(expr, code, word)                                                  \
    do {                                                                              \
        std::string t_got_ = "no exception";                                          \
        bool t_ok_ = false;                                                           \
        try {                                                                         \
            (void)(expr);                                                             \
        } catch (const ivrconf::Error &t_e_) {                                        \
            t_got_ = t_e_.what();                                                     \
            t_ok_ = t_e_.result() == (code) && t::contains(t_e_.detail(), (word));  \
        }                                                                             \
        t::record(t_ok_, #expr " throws " #code " naming \"" word "\"", __FILE__,  \
                  __LINE__, "got " + t_got_);                                         \
    } while (0)
#endif

#endif /* IVRCONF_TESTS_CPP_CHECK_HPP */

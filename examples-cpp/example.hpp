/*
 * example.hpp -- what every C++ example shares, kept apart so that each
 * example file shows only its call flow. Copy it along with the example.
 *
 *   - ex::config_for(sim): an engine configuration for the in-process
 *     simulator with short timers, so that failure paths end in well under
 *     a second (a real deployment keeps the defaults);
 *   - ex::print(event): one line per event, the way a driver might log them
 *     (lines from the dispatcher thread and main() never interleave);
 *   - ex::expect(done, ...): compares an OPERATION_DONE with what the flow
 *     must give and prints the line `make test` looks for;
 *   - ex::run(body): runs the example, turning an ivrconf::Error into a
 *     message and exit status 1.
 *
 * Build (C++17 + threads):
 *   c++ -std=c++17 -Wall -Wextra -Iinclude -Iexamples-cpp prog.cpp \
 *       target/release/libivrconf.a -lpthread -ldl -lm
 */
#ifndef IVRCONF_EXAMPLE_HPP
#define IVRCONF_EXAMPLE_HPP

#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>

#include "ivrconf.hpp"

namespace ex {

using namespace std::chrono_literals;

// Generous: they only matter when something is broken, and then the
// program fails instead of hanging.
constexpr ivrconf::Timeout ready_timeout = 5s;
constexpr ivrconf::Timeout event_timeout = 5s;

inline ivrconf::Config config_for(const ivrconf::Simulator &sim) {
    std::string server = "127.0.0.1:" + std::to_string(sim.port());
    return ivrconf::Config{{"server", server},
                           {"client_name", "IVR_01"},
                           {"request_timeout_ms", "500"},
                           {"no_answer_timeout_ms", "500"},
                           {"reconnect_min_ms", "50"},
                           {"reconnect_max_ms", "500"}};
}

inline void say(const std::string &line) {
    static std::mutex lock;
    std::lock_guard<std::mutex> guard(lock);
    std::fputs(line.c_str(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
}

inline std::string str(std::string_view text) { return std::string(text); }

inline void print(const ivrconf::Event &e) {
    using ivrconf::EventKind;
    switch (e.kind) {
    case EventKind::call_status:
        say("  event CALL_STATUS    call=" + e.call_id + " status=" + str(to_string(e.status)) +
            " state=" + str(to_string(e.call_state)) +
            " parties=" + std::to_string(e.party_count));
        break;
    case EventKind::operation_done:
        say("  event OPERATION_DONE call=" + e.call_id + " op=" + std::to_string(e.op_id) +
            " outcome=" + str(to_string(e.outcome)) + " state=" + str(to_string(e.call_state)) +
            " parties=" + std::to_string(e.party_count) +
            " failed_request=" + (e.failed_request == ivrconf::Request::none
                                      ? std::string("-")
                                      : str(to_string(e.failed_request))) +
            " tlib_error=" + std::to_string(e.tlib_error));
        break;
    case EventKind::call_ended:
        say("  event CALL_ENDED     call=" + e.call_id);
        break;
    default:
        say("  event " + str(to_string(e.kind)) + " " + e.text);
        break;
    }
}

/* `parties` 0: the party count is not checked; `who` starts the line. */
inline bool expect(const ivrconf::Event &done, ivrconf::Outcome outcome,
                   ivrconf::CallState state, unsigned parties, const std::string &who = "") {
    bool ok = done.outcome == outcome && done.call_state == state &&
              (parties == 0 || done.party_count == parties);
    if (ok)
        say(who + "outcome " + str(to_string(outcome)) + ", state " + str(to_string(state)) + ", " +
            std::to_string(done.party_count) + " parties: as expected");
    else
        say(who + "UNEXPECTED: outcome " + str(to_string(done.outcome)) + " state " +
            str(to_string(done.call_state)) + " parties " + std::to_string(done.party_count) +
            " (expected " + str(to_string(outcome)) + " " + str(to_string(state)) + " " +
            std::to_string(parties) + ")");
    return ok;
}

template <class Body> int run(Body body) {
    try {
        return body();
    } catch (const ivrconf::Error &e) {
        std::fprintf(stderr, "ivrconf: %s\n", e.what());
        return 1;
    }
}

} // namespace ex

#endif /* IVRCONF_EXAMPLE_HPP */

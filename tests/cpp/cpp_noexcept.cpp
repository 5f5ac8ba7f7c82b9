/*
 * cpp_noexcept.cpp -- the binding built with -fno-exceptions: only the
 * error_code overloads exist, the owners are made with create(..., ec), and
 * a whole driver runs on them: the consult conference, refusals reported as
 * codes with their reasons, a callback, a wait that runs out, poll mode's
 * range ending with its reason. (tests/cpp/throwing_api.cpp checks that the
 * throwing API is really gone here.)
 */
#if defined(__cpp_exceptions)
#error "cpp_noexcept.cpp must be built with -fno-exceptions"
#endif

#include <atomic>

#include "check.hpp"

static_assert(IVRCONF_HPP_EXCEPTIONS == 0, "the throwing API is compiled out");

using namespace ivrconf;
using namespace std::chrono_literals;

namespace {

constexpr Timeout wait_time = 5s;

Config config_for(const Simulator &sim, std::error_code &ec) {
    std::string server = "127.0.0.1:" + std::to_string(sim.port(ec));
    return Config::create({{"server", server},
                           {"client_name", "IVR_01"},
                           {"request_timeout_ms", "500"},
                           {"no_answer_timeout_ms", "500"}},
                          ec);
}

void test_consult_conference(const Simulator &sim) {
    std::error_code ec;
    Config cfg = config_for(sim, ec);
    T_CHECK(!ec && cfg);
    std::atomic<int> statuses{0};
    Engine engine = Engine::create(
        cfg,
        [&](const Event &e) {
            if (e.kind == EventKind::call_status)
                statuses++;
        },
        {}, ec);
    T_CHECK(!ec && engine);
    engine.wait_ready(wait_time, ec);
    T_CHECK(!ec);

    Call call = engine.call_new("n1", "5000", "", "", {}, ec);
    T_CHECK(!ec && call);
    engine.call_new("n1", "5000", "", "", {}, ec);
    T_EC(ec, Result::call_exists);
    call.conference_complete(ec);
    T_EC(ec, Result::invalid_state);
    T_CHECK(!last_error().empty());

    Operation op = call.conference_init("6002", {{"Reason", "consult"}}, ec);
    T_CHECK(!ec && op);
    std::optional<Event> answered = call.wait_status(Status::established, wait_time, ec);
    T_CHECK(!ec && answered && answered->call_state == CallState::consult_established);
    T_CHECK(call.can(OpKind::conference_complete, ec) && !ec);
    call.conference_complete(ec);
    T_CHECK(!ec);
    T_CHECK(op.wait(wait_time, ec) == Outcome::completed && !ec);
    T_CHECK(op.done() && op.done()->party_count == 3);
    T_CHECK(call.state(ec) == CallState::conferenced && !ec);
    T_CHECK(!call.trace(TraceFormat::text, ec).empty() && !ec);

    // Read what the Call kept; then a wait finds nothing.
    do
        call.next_event(0ms, ec);
    while (!ec);
    T_EC(ec, Result::timeout);
    T_CHECK(t::contains(last_error(), "within 0 ms"));
    call.end(ec);
    T_CHECK(!ec);
    T_CHECK(call.wait_ended(wait_time, ec).has_value() && !ec);
    T_CHECK(statuses.load() >= 7);
}

void test_poll_mode(const Simulator &sim) {
    std::error_code ec;
    Config cfg = config_for(sim, ec);
    Engine engine = Engine::create(cfg, poll_mode, {}, ec);
    T_CHECK(!ec && engine.is_poll_mode());
    engine.wait_ready(wait_time, ec);
    Operation op;
    engine.call_new("n2", "5000", "", "", {}, ec);
    op = engine.conference_one_step("n2", "6002", {}, ec);
    T_CHECK(!ec);
    bool done = false;
    EventRange events = engine.events(wait_time);
    for (const Event &e : events) {
        if (e.kind == EventKind::operation_done && e.op_id == op.id()) {
            done = e.outcome == Outcome::completed;
            engine.shutdown(ec);
        }
    }
    T_CHECK(done);
    T_EC(events.end_reason(), Result::shut_down);
    engine.call_new("n3", "5000", "", "", {}, ec);
    T_EC(ec, Result::shut_down);
}

void test_refusals() {
    std::error_code ec;
    Config cfg = Config::create(ec);
    cfg.set("reconnect_min_ms", "abc", ec);
    T_EC(ec, Result::invalid_argument);
    T_CHECK(t::contains(last_error(), "reconnect_min_ms"));
    Engine engine = Engine::create(cfg, {}, {}, ec);
    T_EC(ec, Result::config);
    T_CHECK(!engine);
    Simulator sim = Simulator::create("127.0.0.1:notaport", ec);
    T_EC(ec, Result::invalid_argument);
    cfg.set(std::string_view("key\0", 4), "v", ec);
    T_EC(ec, Result::invalid_argument);
    T_CHECK(t::contains(last_error(), "NUL"));
}

} // namespace

int main() {
    std::error_code ec;
    Simulator sim = Simulator::create("127.0.0.1:0", ec);
    if (!T_CHECK(!ec))
        return t::finish("cpp_noexcept");
    test_consult_conference(sim);
    test_poll_mode(sim);
    test_refusals();
    return t::finish("cpp_noexcept");
}

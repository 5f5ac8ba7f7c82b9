/*
 * cpp_flows.cpp -- the binding driving real flows against the in-process
 * simulator (loopback TCP): a Call reads its own events in order, an
 * Operation's wait() gets its one OPERATION_DONE, refusals arrive as the
 * right Error, user data and traces go through, a reused call id does not
 * mix two calls' events, poll mode's range ends on shutdown, the engine
 * may be called from its own callback (even before its constructor has
 * returned) but not waited on there, per-call userdata, the counters and
 * the log level go through, and many threads drive calls at once.
 */
#include <atomic>
#include <future>
#include <thread>
#include <vector>

#include "check.hpp"
#include "example.hpp"

using namespace ivrconf;
using namespace std::chrono_literals;

namespace {

constexpr Timeout wait_time = 5s;

/* The consult conference read event by event from the Call. */
void test_call_reads_its_events_in_order(Simulator &sim) {
    Engine engine(ex::config_for(sim));
    engine.wait_ready(wait_time);
    Call call = engine.call_new("c1", "5000", "8005551212", "4155550100");
    T_CHECK(call && call.id() == "c1");
    Operation op = call.conference_init("6002");
    T_CHECK(op && op.id() != 0 && op.call_id() == "c1");
    T_CHECK(!op.done()); // nothing ends a consult before complete or cancel

    std::vector<Status> statuses;
    for (;;) {
        std::optional<Event> e = call.next_event(wait_time);
        if (!T_CHECK(e.has_value()) || !T_CHECK(e->kind == EventKind::call_status))
            return;
        T_CHECK(e->call_id == "c1" && e->op_id == op.id() &&
                e->op_kind == OpKind::conference_consult);
        statuses.push_back(e->status);
        if (e->status == Status::established) {
            T_CHECK(e->call_state == CallState::consult_established);
            break;
        }
    }
    T_CHECK((statuses == std::vector<Status>{Status::held, Status::dialing, Status::ringing,
                                             Status::established}));
    T_CHECK(call.state() == CallState::consult_established);
    T_CHECK(engine.state("c1") == CallState::consult_established);
    T_CHECK(call.can(OpKind::conference_complete));
    call.conference_complete();

    T_CHECK(op.wait(wait_time) == Outcome::completed);
    std::optional<Event> done = op.done();
    T_CHECK(done && done->kind == EventKind::operation_done && done->op_id == op.id() &&
            done->call_state == CallState::conferenced && done->party_count == 3 &&
            done->failed_request == Request::none && done->tlib_error == -1 &&
            !done->text.empty());
    // The same OPERATION_DONE reaches the Call, after the statuses that caused it.
    Event last = call.wait_for([](const Event &e) { return e.kind == EventKind::operation_done; },
                               wait_time);
    T_CHECK(last.op_id == op.id() && last.outcome == Outcome::completed);

    call.end();
    Event ended = call.wait_ended(wait_time);
    T_CHECK(ended.kind == EventKind::call_ended && ended.call_id == "c1");
    // Nothing follows CALL_ENDED: a further read says so at once.
    T_THROWS(call.next_event(wait_time), Result::unknown_call, "has ended");
    std::error_code ec;
    call.wait_status(Status::held, wait_time, ec);
    T_EC(ec, Result::unknown_call);
}

void test_refusals(Simulator &sim) {
    Engine engine(ex::config_for(sim));
    engine.wait_ready(wait_time);
    Call call = engine.call_new("r1", "5000");
    T_THROWS(engine.call_new("r1", "5000"), Result::call_exists, "");
    T_THROWS(call.conference_complete(), Result::invalid_state, "");
    T_THROWS(engine.consult_cancel("r1"), Result::invalid_state, "");
    T_THROWS(engine.state("nobody"), Result::unknown_call, "");
    T_THROWS(engine.conference_init("nobody", "6002"), Result::unknown_call, "");
    T_THROWS(call.conference_init("60\x01" "02"), Result::invalid_argument, "");
    T_THROWS(engine.trace("nobody"), Result::unknown_call, "");
    T_THROWS(engine.next_event(1ms), Result::invalid_state, ""); // callback mode

    std::error_code ec;
    T_CHECK(!call.can(OpKind::conference_complete, ec));
    T_EC(ec, Result::invalid_state);
    T_CHECK(!engine.can("r1", OpKind::none, ec));
    T_EC(ec, Result::invalid_argument);
    T_CHECK(call.can(OpKind::conference_consult, ec) && !ec);
    T_CHECK(!engine.can("r1", OpKind::transfer_complete));

    // One op at a time: the second is refused and leaves the first alone.
    Operation first = call.conference_init("6002");
    Operation second = call.transfer_init("6005", {}, ec);
    T_EC(ec, Result::operation_pending);
    T_CHECK(!second && second.id() == 0);
    second.wait(1ms, ec);
    T_EC(ec, Result::null_argument);
    call.wait_status(Status::established, wait_time);
    call.consult_cancel();
    T_CHECK(first.wait(wait_time) == Outcome::cancelled);

    // The refused duplicate call_new did not take over the call's events.
    call.end();
    T_CHECK(call.wait_ended(wait_time).call_id == "r1");
}

/* User data reaches the wire (the trace shows the frames' bytes), and the
 * three trace formats come back as strings. */
void test_udata_and_trace(Simulator &sim) {
    Engine engine(ex::config_for(sim));
    engine.wait_ready(wait_time);
    Call call = engine.call_new("u1", "5000", "", "", {{"Lang", "fr"}});
    Operation op = call.transfer_one_step("6006", {{"TransferReason", "sales"}, {"Queue", "7"}});
    T_CHECK(op.wait(wait_time) == Outcome::completed);
    T_CHECK(op.done()->call_state == CallState::transferred);
    call.wait_ended(wait_time); // the server ends a transferred call

    std::string text = engine.trace("u1", TraceFormat::text);
    T_CHECK(t::contains(text, "OneStepXfer") && t::contains(text, "UDataEx=2 keys"));
    std::string mermaid = call.trace(TraceFormat::mermaid);
    T_CHECK(t::contains(mermaid, "sequenceDiagram"));
    // JSONL carries each frame's bytes as sent: the user data is in them.
    std::string jsonl = engine.trace("u1", TraceFormat::jsonl);
    T_CHECK(jsonl.rfind("{\"ivrconf_trace\":1", 0) == 0);
    T_CHECK(t::contains(jsonl, "Name=\\\"TransferReason\\\" Type=\\\"Str\\\" Val=\\\"sales\\\"") &&
            t::contains(jsonl, "Name=\\\"Lang\\\" Type=\\\"Str\\\" Val=\\\"fr\\\""));
    T_THROWS(engine.trace("u1", static_cast<TraceFormat>(9)), Result::invalid_argument, "");
    T_THROWS(Operation(call.conference_init("6002", {{std::string_view("Bad\0Key", 7), "v"}})),
             Result::invalid_argument, "user data key contains a NUL");
}

/* A call id reused before the old call's CALL_ENDED has been delivered
 * (the handler holds the dispatcher up until the new call_new has
 * returned): the old CALL_ENDED still goes to the old Call, the new call's
 * events to the new one. */
void test_reused_call_id(Simulator &sim) {
    std::promise<void> reused;
    std::shared_future<void> reused_done = reused.get_future().share();
    Engine engine(ex::config_for(sim), [reused_done](const Event &e) {
        if (e.kind == EventKind::operation_done && e.outcome == Outcome::call_ended)
            reused_done.wait_for(wait_time);
    });
    engine.wait_ready(wait_time);
    Call old_call = engine.call_new("same", "5000");
    Operation old_op = old_call.conference_init("6002");
    old_call.wait_status(Status::established, wait_time);
    old_call.end(); // the id is free now; OPERATION_DONE and CALL_ENDED are queued
    Call new_call = engine.call_new("same", "5001");
    reused.set_value();
    T_CHECK(old_op.wait(wait_time) == Outcome::call_ended);
    T_CHECK(old_call.wait_ended(wait_time).call_id == "same");

    Operation op = new_call.conference_one_step("6002");
    bool saw_end = false;
    for (;;) {
        std::optional<Event> e = new_call.next_event(wait_time);
        if (!T_CHECK(e.has_value()))
            break;
        saw_end = saw_end || e->kind == EventKind::call_ended;
        if (e->kind == EventKind::operation_done) {
            T_CHECK(e->op_id == op.id() && e->outcome == Outcome::completed);
            break;
        }
    }
    T_CHECK(!saw_end);
    std::error_code ec;
    T_CHECK(!old_call.next_event(1ms, ec));
    T_EC(ec, Result::unknown_call);
    new_call.end();
    new_call.wait_ended(wait_time);
}

/* Waits that find nothing end with TIMEOUT (nothing happens on a call
 * without an operation). */
void test_quiet_waits(Simulator &sim) {
    Engine engine(ex::config_for(sim));
    engine.wait_ready(wait_time);
    Call call = engine.call_new("q1", "5000");
    T_CHECK(!call.next_event(20ms).has_value());
    std::error_code ec;
    T_CHECK(!call.next_event(0ms, ec));
    T_EC(ec, Result::timeout);
    T_THROWS(call.wait_status(Status::busy, 20ms), Result::timeout, "CALL_STATUS BUSY");
    Operation op = call.conference_init("6002");
    call.wait_status(Status::established, wait_time);
    T_THROWS(op.wait(10ms), Result::timeout, "no OPERATION_DONE");
    call.end(); // an op in flight ends CALL_ENDED
    T_CHECK(op.wait(wait_time) == Outcome::call_ended);
    call.wait_ended(wait_time);
}

/* Poll mode: the range, Operations and Calls fed by the reader, and the
 * range ending on shutdown with the CANCELLED events delivered first. */
void test_poll_mode(Simulator &sim) {
    Engine engine(ex::config_for(sim), poll_mode);
    T_CHECK(engine.is_poll_mode());
    engine.wait_ready(wait_time);
    Call call = engine.call_new("p1", "5000");
    Operation op = call.conference_init("6002");
    Operation other;
    int statuses = 0;
    auto events = engine.events(wait_time);
    for (auto it = events.begin(); it != events.end(); ++it) {
        if (it->kind == EventKind::call_status)
            statuses++;
        if (it->kind == EventKind::call_status && it->status == Status::established)
            break; // the consult waits for complete or cancel
    }
    T_CHECK(statuses == 4);
    T_CHECK(!events.end_reason());
    // The reader filed the events for the Call too.
    T_CHECK(call.wait_status(Status::established, wait_time).call_id == "p1");

    engine.shutdown();
    std::vector<Event> after;
    for (const Event &e : engine.events(wait_time))
        after.push_back(e);
    T_CHECK(after.size() == 1 && after[0].kind == EventKind::operation_done &&
            after[0].outcome == Outcome::cancelled);
    T_CHECK(op.wait(0ms) == Outcome::cancelled);
    auto drained = engine.events(wait_time);
    T_CHECK(drained.begin() == drained.end());
    T_EC(drained.end_reason(), Result::shut_down);
    T_THROWS(engine.next_event(1ms), Result::shut_down, "");
    T_THROWS(engine.call_new("p2", "5000"), Result::shut_down, "");

    // Timeouts end a range; they are not errors.
    Engine quiet(ex::config_for(sim), poll_mode);
    quiet.wait_ready(wait_time);
    int n = 0;
    auto range = quiet.events(50ms);
    for (auto it = range.begin(); it != range.end(); ++it)
        n++; // SESSION_UP, then nothing
    T_CHECK(n == 1);
    T_EC(range.end_reason(), Result::timeout);
    T_CHECK(!quiet.next_event(1ms).has_value());
}

/* The handler may call its own Engine, even when it names the Engine being
 * constructed (callbacks wait until the constructor has the handle); it may
 * not wait there. */
void test_calls_from_the_callback(Simulator &sim) {
    std::atomic<int> wait_result{-1};
    std::atomic<Call *> watched{nullptr};
    Engine engine(ex::config_for(sim), [&](const Event &e) {
        if (e.kind == EventKind::call_status && e.status == Status::established) {
            engine.conference_complete(e.call_id);
            if (Call *call = watched.load()) {
                std::error_code ec;
                call->next_event(wait_time, ec);
                wait_result = ec.value();
            }
        }
    });
    engine.wait_ready(wait_time);
    Call call = engine.call_new("cb1", "5000");
    watched = &call;
    Operation op = call.conference_init("6002");
    T_CHECK(op.wait(wait_time) == Outcome::completed);
    // The handler had returned before the OPERATION_DONE was delivered.
    T_CHECK(wait_result.load() == static_cast<int>(Result::invalid_state));
    watched = nullptr;
    call.end();
    call.wait_ended(wait_time);
}

/* Shutdown in callback mode: the op in flight ends CANCELLED, later calls
 * are refused. */
void test_shutdown(Simulator &sim) {
    Engine engine(ex::config_for(sim));
    engine.wait_ready(wait_time);
    Call call = engine.call_new("s1", "5000");
    Operation op = call.conference_init("6002");
    call.wait_status(Status::established, wait_time);
    engine.shutdown();
    T_CHECK(op.wait(wait_time) == Outcome::cancelled);
    T_CHECK(op.done()->call_state == CallState::consult_established);
    T_THROWS(call.consult_cancel(), Result::shut_down, "");
    T_THROWS(engine.call_new("s2", "5000"), Result::shut_down, "");
}

/* Per-call userdata in the events, the counters, the log level. */
void test_userdata_stats_log_level(Simulator &sim) {
    Engine engine(ex::config_for(sim));
    engine.wait_ready(wait_time);
    int port_a = 1, port_b = 2;
    Call a = engine.call_new("ud-a", "5000");
    Call b = engine.call_new("ud-b", "5000");
    a.set_userdata(&port_a);
    engine.set_call_userdata("ud-b", &port_b);
    Operation op_a = a.conference_one_step("6002");
    Operation op_b = b.conference_one_step("6002");
    T_CHECK(op_a.wait(wait_time) == Outcome::completed);
    T_CHECK(op_b.wait(wait_time) == Outcome::completed);
    T_CHECK(op_a.done()->call_userdata == &port_a && op_b.done()->call_userdata == &port_b);
    a.set_userdata(nullptr);
    T_THROWS(engine.set_call_userdata("nobody", &port_a), Result::unknown_call, "");

    ivrconf_stats stats = engine.stats();
    T_CHECK(stats.struct_size == sizeof(ivrconf_stats));
    T_CHECK(stats.calls_total == 2 && stats.calls_live == 2 && stats.ops_started == 2 &&
            stats.ops_completed == 2 && stats.logins == 1);
    engine.set_log_level(LogLevel::debug);
    T_THROWS(engine.set_log_level(static_cast<LogLevel>(9)), Result::invalid_argument, "");
    a.end();
    b.end();
    a.wait_ended(wait_time);
    b.wait_ended(wait_time);
    T_CHECK(engine.stats().calls_live == 0);
}

/* Many threads, one engine: each drives its own call with its own waits. */
void test_threads(Simulator &sim) {
    Engine engine(ex::config_for(sim));
    engine.wait_ready(wait_time);
    constexpr int threads = 8, calls_each = 3;
    std::atomic<int> completed{0}, failures{0};
    std::vector<std::thread> workers;
    for (int i = 0; i < threads; i++) {
        workers.emplace_back([&, i] {
            try {
                for (int j = 0; j < calls_each; j++) {
                    std::string id = "t" + std::to_string(i) + "-" + std::to_string(j);
                    Call call = engine.call_new(id, "5000");
                    Operation op = j % 2 == 0 ? call.conference_one_step("6002")
                                              : call.conference_init("6002");
                    if (j % 2 == 1) {
                        call.wait_status(Status::established, wait_time);
                        call.conference_complete();
                    }
                    if (op.wait(wait_time) == Outcome::completed &&
                        op.done()->party_count == 3 && op.call_id() == id)
                        completed++;
                    call.end();
                    if (call.wait_ended(wait_time).call_id == id)
                        completed++;
                }
            } catch (const Error &e) {
                std::fprintf(stderr, "worker %d: %s\n", i, e.what());
                failures++;
            }
        });
    }
    for (std::thread &w : workers)
        w.join();
    T_CHECK(failures.load() == 0);
    T_CHECK(completed.load() == threads * calls_each * 2);
}

} // namespace

int main() {
    return t::run("cpp_flows", [] {
        Simulator sim;
        test_call_reads_its_events_in_order(sim);
        test_refusals(sim);
        test_udata_and_trace(sim);
        test_reused_call_id(sim);
        test_quiet_waits(sim);
        test_poll_mode(sim);
        test_calls_from_the_callback(sim);
        test_shutdown(sim);
        test_userdata_stats_log_level(sim);
        test_threads(sim);
    });
}

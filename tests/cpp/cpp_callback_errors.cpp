/*
 * cpp_callback_errors.cpp -- an exception thrown by the application's
 * callback never reaches the library: it is kept and rethrown, as itself,
 * to the next throwing call on the engine made outside its callbacks (a
 * wait in progress wakes up for it), or by close(); calls inside the
 * callbacks and the error_code overloads do not throw it; only the first
 * is kept until it is rethrown; the log handler's exceptions go the same
 * way; the destructor drops one still kept. Events keep flowing after a
 * throw.
 */
#include <atomic>
#include <stdexcept>
#include <string>

#include "check.hpp"
#include "example.hpp"

using namespace ivrconf;
using namespace std::chrono_literals;

namespace {

constexpr Timeout wait_time = 5s;

struct Boom : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/* A wait blocked on the main thread ends with the handler's exception. */
void test_exception_reaches_the_waiting_caller(Simulator &sim) {
    std::atomic<int> thrown{0};
    std::atomic<int> later_events{0};
    Engine engine(ex::config_for(sim), [&](const Event &e) {
        if (e.kind != EventKind::call_status)
            return;
        if (thrown.load() > 0)
            later_events++;
        if (e.status == Status::established && thrown.load() == 0) {
            thrown++;
            throw Boom("boom on ESTABLISHED");
        }
    });
    engine.wait_ready(wait_time);
    Call call = engine.call_new("e1", "5000");
    // Answered after slow_ms: the wait below is (almost surely) blocked
    // when the handler throws; either way the exception must end it.
    Operation op = call.conference_init("slow6002");
    std::string got = "nothing";
    try {
        call.wait_status(Status::conf_party_add, wait_time); // never comes by itself
    } catch (const Boom &e) {
        got = e.what();
    } catch (const Error &e) {
        got = std::string("ivrconf::Error ") + e.what();
    }
    T_CHECK(got == "boom on ESTABLISHED");
    T_CHECK(thrown.load() == 1);
    // Rethrown once: the engine works as before, and the events after the
    // throw were delivered.
    call.conference_complete();
    T_CHECK(op.wait(wait_time) == Outcome::completed);
    T_CHECK(later_events.load() >= 2); // RELEASED/RETRIEVED/CONF_PARTY_ADD
    call.end();
    call.wait_ended(wait_time);
    engine.close();
}

/* The next call of any kind rethrows it: here a plain call, made once the
 * handler has thrown (on the status before the OPERATION_DONE the error_code
 * overload waits for, without throwing); any exception type, not only
 * std::exception. */
void test_next_call_rethrows(Simulator &sim) {
    Engine engine(ex::config_for(sim), [](const Event &e) {
        if (e.kind == EventKind::call_status && e.status == Status::conf_party_add)
            throw 42;
    });
    engine.wait_ready(wait_time);
    Call call = engine.call_new("e2", "5000");
    Operation op = call.conference_one_step("6002");
    std::error_code ec;
    T_CHECK(op.wait(wait_time, ec) == Outcome::completed && !ec); // no rethrow here
    T_CHECK(call.state(ec) == CallState::conferenced && !ec);     // nor here
    int got = 0;
    try {
        engine.state("e2");
    } catch (int value) {
        got = value;
    }
    T_CHECK(got == 42);
    T_CHECK(engine.state("e2") == CallState::conferenced); // rethrown once only
    call.end();
    call.wait_ended(wait_time);
}

/* Only the first is kept while it waits; take_callback_error() hands it
 * over without throwing. (Handlers run in order: once an op's
 * OPERATION_DONE has reached op.wait(), the handlers of the statuses before
 * it have all returned.) */
void test_first_is_kept(Simulator &sim) {
    std::atomic<int> thrown{0};
    Engine engine(ex::config_for(sim), [&](const Event &e) {
        if (e.kind == EventKind::call_status)
            throw Boom("boom " + std::to_string(++thrown));
    });
    engine.wait_ready(wait_time);
    Call call = engine.call_new("e3", "5000");
    std::error_code ec;
    Operation op = call.conference_init("6002", {}, ec);
    call.wait_status(Status::established, wait_time, ec);
    call.consult_cancel(ec);
    T_CHECK(op.wait(wait_time, ec) == Outcome::cancelled && !ec);
    T_CHECK(thrown.load() >= 4); // HELD, DIALING, RINGING, ESTABLISHED, ...
    std::exception_ptr kept = engine.take_callback_error();
    std::string got;
    try {
        if (kept)
            std::rethrow_exception(kept);
    } catch (const Boom &e) {
        got = e.what();
    }
    T_CHECK(got == "boom 1");
    T_CHECK(engine.take_callback_error() == nullptr); // the later ones were dropped
    // After the take, the next one is kept again.
    int before = thrown.load();
    Operation again = call.conference_one_step("6002", {}, ec);
    T_CHECK(again.wait(wait_time, ec) == Outcome::completed && !ec);
    got.clear();
    try {
        call.end();
    } catch (const Boom &e) {
        got = e.what();
    }
    T_CHECK(got == "boom " + std::to_string(before + 1));
    call.end();
    call.wait_ended(wait_time);
}

/* Inside the callbacks, throwing calls on the engine do not rethrow what the
 * callbacks threw (the dispatcher would only catch it again). */
void test_not_rethrown_inside_callbacks(Simulator &sim) {
    std::atomic<int> calls_inside{0}, threw_inside{0};
    Engine engine(ex::config_for(sim), [&](const Event &e) {
        if (e.kind != EventKind::call_status)
            return;
        if (e.status == Status::held)
            throw Boom("boom on HELD");
        try {
            engine.state(e.call_id);
            calls_inside++;
        } catch (const Boom &) {
            threw_inside++;
        }
    });
    engine.wait_ready(wait_time);
    Call call = engine.call_new("e4", "5000");
    std::error_code ec;
    Operation op = call.conference_init("6002", {}, ec);
    call.wait_status(Status::established, wait_time, ec);
    std::string got;
    try {
        call.consult_cancel(); // rethrows before it does anything
    } catch (const Boom &e) {
        got = e.what();
    }
    T_CHECK(got == "boom on HELD");
    T_CHECK(call.state() == CallState::consult_established);
    call.consult_cancel();
    T_CHECK(op.wait(wait_time) == Outcome::cancelled);
    // DIALING, RINGING, ESTABLISHED, RELEASED, RETRIEVED came after the throw.
    T_CHECK(calls_inside.load() >= 3 && threw_inside.load() == 0);
    call.end();
    call.wait_ended(wait_time);
}

/* close() rethrows what the last callbacks threw (here the log handler),
 * once they have all run; the destructor drops it without throwing. */
void test_close_and_destructor(Simulator &sim) {
    Config cfg = ex::config_for(sim);
    cfg.set("log_level", "debug");
    std::atomic<int> lines{0};
    {
        Engine engine(cfg, {}, [&](LogLevel level, std::string_view message) {
            if (lines++ == 0 && level != LogLevel::none && !message.empty())
                throw Boom("boom in the log handler");
        });
        std::error_code ec;
        engine.wait_ready(wait_time, ec); // the handler may have thrown already
        T_CHECK(!ec);
        std::string got;
        try {
            engine.close();
        } catch (const Boom &e) {
            got = e.what();
        }
        T_CHECK(got == "boom in the log handler");
        T_CHECK(lines.load() > 0);
        T_CHECK(!engine);
        engine.close(); // closed already: nothing more
    }
    bool ended_thrown = false;
    {
        Engine engine(ex::config_for(sim), [&](const Event &e) {
            if (e.kind == EventKind::call_ended) {
                ended_thrown = true;
                throw Boom("boom on CALL_ENDED");
            }
        });
        engine.wait_ready(wait_time);
        engine.call_new("e5", "5000");
        engine.call_end("e5"); // CALL_ENDED is delivered at the latest by the destructor
    } // the destructor frees the engine and drops the exception
    T_CHECK(ended_thrown);
}

} // namespace

int main() {
    return t::run("cpp_callback_errors", [] {
        Simulator sim;
        test_exception_reaches_the_waiting_caller(sim);
        test_next_call_rethrows(sim);
        test_first_is_kept(sim);
        test_not_rethrown_inside_callbacks(sim);
        test_close_and_destructor(sim);
    });
}

/*
 * cpp_lifetime.cpp -- nothing leaks and nothing is used after it is gone:
 * the handlers (and what they capture) are released once the engine is
 * freed, in callback and poll mode, after a move-assignment, and when the
 * Engine is destroyed inside its own callback; Calls and Operations that
 * outlive their Engine fail cleanly; owned and cloned events are freed; the handlers
 * only run once the Engine is complete. Built with AddressSanitizer, whose
 * leak checker fails the program at exit for any handle, event, string or
 * state left behind.
 */
#include <atomic>
#include <future>
#include <memory>
#include <optional>

#include "check.hpp"
#include "example.hpp"

using namespace ivrconf;
using namespace std::chrono_literals;

namespace {

constexpr Timeout wait_time = 5s;

/* Captured by a handler: its destruction tells that the handler, and the
 * binding's state holding it, are gone. */
struct Witness {
    explicit Witness(std::promise<void> &gone) : gone_(gone) {}
    ~Witness() { gone_.set_value(); }
    std::promise<void> &gone_;
};

bool released(std::future<void> &gone) {
    return gone.wait_for(wait_time) == std::future_status::ready;
}

/* Full flows, engine after engine: every handler is released by the free. */
void test_handlers_released(Simulator &sim) {
    for (int round = 0; round < 5; round++) {
        std::promise<void> gone;
        std::future<void> gone_future = gone.get_future();
        {
            auto witness = std::make_shared<Witness>(gone);
            Engine engine(
                ex::config_for(sim), [witness](const Event &) {},
                [witness](LogLevel, std::string_view) {});
            witness.reset();
            engine.wait_ready(wait_time);
            Call call = engine.call_new("l" + std::to_string(round), "5000");
            Operation op = call.conference_init("6002");
            call.wait_status(Status::established, wait_time);
            call.conference_complete();
            T_CHECK(op.wait(wait_time) == Outcome::completed);
            call.end();
            call.wait_ended(wait_time);
        } // Engine, Call and Operation go, in reverse order
        T_CHECK(released(gone_future));
    }
}

/* Poll mode with events never read: freed with the engine. */
void test_poll_unread_events_freed(Simulator &sim) {
    std::promise<void> gone;
    std::future<void> gone_future = gone.get_future();
    {
        auto witness = std::make_shared<Witness>(gone);
        Engine engine(ex::config_for(sim), poll_mode, [witness](LogLevel, std::string_view) {});
        witness.reset();
        engine.wait_ready(wait_time);
        engine.call_new("p1", "5000");
        Operation op = engine.conference_one_step("p1", "6002");
        // An owned event from the C API directly, freed by its owner.
        ivrconf_event *raw = nullptr;
        T_CHECK(ivrconf_engine_next_event(engine.get(), 5000, &raw) == IVRCONF_OK);
        OwnedEvent owned(raw);
        T_CHECK(owned && owned.kind() == EventKind::session_up && !owned.text().empty());
        OwnedEvent moved = std::move(owned);
        T_CHECK(!owned && moved.to_event().kind == EventKind::session_up);
        // A clone is a second event with its own lifetime.
        OwnedEvent copy = OwnedEvent::clone(moved.get());
        T_CHECK(copy && copy.get() != moved.get() && copy.text() == moved.text());
        moved = OwnedEvent();
        T_CHECK(copy.kind() == EventKind::session_up && !copy.text().empty());
        T_THROWS(OwnedEvent::clone(nullptr), Result::null_argument, "");
        // The rest (statuses, OPERATION_DONE) stays queued, unread.
    }
    T_CHECK(released(gone_future));
}

/* Move-assignment frees the engine it replaces, handlers included. */
void test_move_assignment(Simulator &sim) {
    std::promise<void> first_gone, second_gone;
    std::future<void> first_future = first_gone.get_future();
    std::future<void> second_future = second_gone.get_future();
    auto first = std::make_shared<Witness>(first_gone);
    auto second = std::make_shared<Witness>(second_gone);
    Engine a(ex::config_for(sim), [first](const Event &) {});
    Engine b(ex::config_for(sim), [second](const Event &) {});
    first.reset();
    second.reset();
    a = std::move(b);
    T_CHECK(released(first_future));
    T_CHECK(!b && a);
    a.wait_ready(wait_time);
    Engine c = std::move(a);
    T_CHECK(!a && c);
    c.reset();
    T_CHECK(!c);
    T_CHECK(released(second_future));
}

/* The Engine destroyed inside its own callback: the free returns at once,
 * the op in flight still gets its CANCELLED, and the state goes once the
 * last Call and Operation handles are gone. */
void test_destroyed_inside_callback(Simulator &sim) {
    std::promise<void> gone;
    std::future<void> gone_future = gone.get_future();
    std::optional<Engine> engine;
    std::atomic<bool> destroyed{false};
    {
        auto witness = std::make_shared<Witness>(gone);
        engine.emplace(ex::config_for(sim), [witness, &engine, &destroyed](const Event &e) {
            if (e.kind == EventKind::call_status && e.status == Status::established) {
                engine.reset();
                destroyed = true;
            }
        });
    }
    engine->wait_ready(wait_time);
    Call call = engine->call_new("d1", "5000");
    Operation op = call.conference_init("6002");
    T_CHECK(op.wait(wait_time) == Outcome::cancelled);
    T_CHECK(destroyed.load());
    // Everything kept is read, then the wait reports the engine gone.
    std::error_code ec;
    while (call.next_event(wait_time, ec))
        ;
    T_EC(ec, Result::shut_down);
    T_THROWS(call.end(), Result::shut_down, "freed");
    T_THROWS(call.conference_init("6002"), Result::shut_down, "freed");
    call = Call();
    op = Operation();
    T_CHECK(released(gone_future));
}

/* Handles outliving their Engine: their waits end, their calls fail. */
void test_handles_outlive_engine(Simulator &sim) {
    Call call;
    Operation op;
    {
        Engine engine(ex::config_for(sim));
        engine.wait_ready(wait_time);
        call = engine.call_new("o1", "5000");
        op = call.conference_one_step("6002");
        T_CHECK(op.wait(wait_time) == Outcome::completed);
    }
    T_CHECK(op.wait(0ms) == Outcome::completed); // what arrived stays readable
    T_CHECK(op.done().has_value());
    std::error_code ec;
    int kept = 0;
    while (call.next_event(wait_time, ec))
        kept++;
    T_CHECK(kept >= 2); // CONF_PARTY_ADD, OPERATION_DONE
    T_EC(ec, Result::shut_down);
    call.state(ec);
    T_EC(ec, Result::shut_down);

    Call empty;
    T_CHECK(!empty);
    empty.end(ec);
    T_EC(ec, Result::null_argument);
    Operation none;
    none.wait(0ms, ec);
    T_EC(ec, Result::null_argument);
    T_CHECK(!none.done());
}

/* Log lines come while the engine is starting and connecting: the handler,
 * which names the Engine being constructed, always finds it holding its
 * handle (callbacks wait until the constructor has stored it). Lines logged
 * by the free, once the handle is gone, are not counted. */
void test_handler_sees_complete_engine(Simulator &sim) {
    Config cfg = ex::config_for(sim);
    cfg.set("log_level", "trace");
    for (int round = 0; round < 5; round++) {
        std::atomic<int> lines{0}, incomplete{0};
        std::atomic<bool> closing{false};
        {
            Engine engine(cfg, {}, [&](LogLevel, std::string_view) {
                if (closing.load())
                    return;
                lines++;
                if (engine.get() == nullptr)
                    incomplete++;
            });
            std::error_code ec;
            engine.wait_ready(wait_time, ec);
            T_CHECK(!ec);
            closing = true;
        }
        T_CHECK(lines.load() > 0 && incomplete.load() == 0);
    }
}

} // namespace

int main() {
    return t::run("cpp_lifetime", [] {
        Simulator sim;
        test_handlers_released(sim);
        test_poll_unread_events_freed(sim);
        test_move_assignment(sim);
        test_destroyed_inside_callback(sim);
        test_handles_outlive_engine(sim);
        test_handler_sees_complete_engine(sim);
    });
}

/*
 * poll_mode.cpp -- the same engine without callbacks: the driver's own loop
 * reads the events with a range-for over engine.events(timeout). Here a
 * consult is cancelled once the consulted party has answered.
 *
 *   I->S InitConf DestDN=6007   S->I [Held] [Dialing] [Ringing] Established
 *   app: consult_cancel -> I->S RetrieveCall   S->I [Released] Retrieved
 *   => OPERATION_DONE CANCELLED, state ACTIVE, 2 parties
 *
 * The range ends when no event comes within the timeout (a real driver
 * would do its other work and loop) or once the engine is shut down and
 * drained; end_reason() says which.
 */
#include "example.hpp"

int main() {
    return ex::run([] {
        using namespace ivrconf;
        Simulator sim;
        Engine engine(ex::config_for(sim), poll_mode);
        engine.wait_ready(ex::ready_timeout);

        ex::say("consult conference call-1 -> 6007, cancelled after the answer");
        engine.call_new("call-1", "5000");
        Operation op = engine.conference_init("call-1", "6007");

        bool ok = false, ended = false;
        for (const Event &e : engine.events(ex::event_timeout)) {
            ex::print(e);
            if (e.kind == EventKind::call_status && e.status == Status::established)
                engine.consult_cancel(e.call_id);
            if (e.kind == EventKind::operation_done && e.op_id == op.id()) {
                ok = ex::expect(e, Outcome::cancelled, CallState::active, 2);
                engine.call_end(e.call_id);
            }
            if (e.kind == EventKind::call_ended) {
                ended = true; // the call's last event
                break;
            }
        }
        return ok && ended ? 0 : 1;
    });
}

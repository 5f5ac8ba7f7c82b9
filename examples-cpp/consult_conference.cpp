/*
 * consult_conference.cpp -- flow C3 (docs/CALL-MODEL.md) in C++: put the
 * caller on hold, talk to a third party first, then join everybody
 * (InitConf, then CompleteConf).
 *
 *   I->S InitConf DestDN=6002   S->I [Held] [Dialing] [Ringing] Established
 *   app: call.conference_complete()
 *   I->S CompleteConf           S->I [Released] [Retrieved] ConfPartyAdd
 *   => OPERATION_DONE COMPLETED, state CONFERENCED, 3 parties
 *
 * The consult is one operation: conference_complete() and consult_cancel()
 * continue it, so `op.wait()` gets its one OPERATION_DONE whichever way the
 * consult ends. The Call keeps the call's events for call.wait_status().
 */
#include "example.hpp"

int main() {
    return ex::run([] {
        using namespace ivrconf;
        Simulator sim; // the IVR Server, in this process
        Engine engine(ex::config_for(sim), ex::print);
        engine.wait_ready(ex::ready_timeout);

        ex::say("C3 consult conference call-1 -> 6002");
        Call call = engine.call_new("call-1", "5000");
        Operation op = call.conference_init("6002");

        // The consulted party answered: the IVR may talk to it now. No timer
        // runs in this state: the engine waits for complete or cancel.
        call.wait_status(Status::established, ex::event_timeout);
        CallState state = call.state();
        ex::say("state after Established: " + ex::str(to_string(state)));

        // can() asks "would this be accepted now?" without sending anything.
        bool ready = call.can(OpKind::conference_complete);
        call.conference_complete();

        op.wait(ex::event_timeout);
        bool ok = ex::expect(*op.done(), Outcome::completed, CallState::conferenced, 3) &&
                  state == CallState::consult_established && ready;

        call.end();
        call.wait_ended(ex::event_timeout);
        return ok ? 0 : 1;
    });
}

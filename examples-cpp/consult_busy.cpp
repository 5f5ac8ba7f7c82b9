/*
 * consult_busy.cpp -- flow C5 (docs/CALL-MODEL.md) in C++: the consulted
 * number is busy.
 *
 *   I->S InitConf DestDN=busy6003   S->I Held, Dialing, Busy
 *   I->S RetrieveCall   (sent by the engine itself: vendor rule R2)
 *   S->I [Released] Retrieved
 *   => OPERATION_DONE BUSY, state ACTIVE, 2 parties
 *
 * Busy is not an error: the engine gets the caller back (the driver never
 * sends RetrieveCall) and reports BUSY once they are. The simulator answers
 * busy for every number starting with "busy".
 */
#include "example.hpp"

int main() {
    return ex::run([] {
        using namespace ivrconf;
        Simulator sim;
        Engine engine(ex::config_for(sim), ex::print);
        engine.wait_ready(ex::ready_timeout);

        ex::say("C5 consult conference call-1 -> busy6003");
        Call call = engine.call_new("call-1", "5000");
        Operation op = call.conference_init("busy6003");
        op.wait(ex::event_timeout);
        bool ok = ex::expect(*op.done(), Outcome::busy, CallState::active, 2);

        // The caller is back with the IVR: the driver may play "the line is
        // busy" and offer another try -- the call accepts a new op at once.
        ok = call.can(OpKind::conference_consult) && ok;

        // What the simulator received: exactly one RetrieveCall (rule R2).
        std::uint64_t retrieves = sim.received_count("RetrieveCall");
        ex::say("RetrieveCall sent by the engine: " + std::to_string(retrieves));
        ok = ok && retrieves == 1;

        call.end();
        call.wait_ended(ex::event_timeout);
        return ok ? 0 : 1;
    });
}

/*
 * consult_failed.cpp -- flow C6 (docs/CALL-MODEL.md) in C++: the server
 * refuses the consult.
 *
 *   I->S InitConf DestDN=fail6004
 *   S->I [Held] [Dialing] CallError FailedReq=InitConf TLibErrCode=56
 *   => OPERATION_DONE FAILED, state ACTIVE, 2 parties; NO RetrieveCall
 *
 * After a CallError the server takes the caller off hold itself (rule R3);
 * a RetrieveCall now would only earn another CallError (rule R4), so the
 * engine sends none. The OPERATION_DONE names the request that failed and
 * the T-Library error code, for the driver's log. The simulator fails every
 * number starting with "fail".
 */
#include "example.hpp"

int main() {
    return ex::run([] {
        using namespace ivrconf;
        Simulator sim;
        Engine engine(ex::config_for(sim), ex::print);
        engine.wait_ready(ex::ready_timeout);

        ex::say("C6 consult conference call-1 -> fail6004");
        Call call = engine.call_new("call-1", "5000");
        Operation op = call.conference_init("fail6004");
        op.wait(ex::event_timeout);
        Event done = *op.done();
        bool ok = ex::expect(done, Outcome::failed, CallState::active, 2);
        ex::say("failed request " + ex::str(to_string(done.failed_request)) + ", TLibErrCode " +
                std::to_string(done.tlib_error));
        ok = ok && done.failed_request == Request::init_conf;

        // End the call first: once the server has the EndCall it has every
        // request the engine sent for the call, so the count below is final.
        call.end();
        call.wait_ended(ex::event_timeout);
        sim.wait_received("EndCall", 1, ex::event_timeout);
        std::uint64_t retrieves = sim.received_count("RetrieveCall");
        ex::say("RetrieveCall sent by the engine: " + std::to_string(retrieves));
        return ok && retrieves == 0 ? 0 : 1;
    });
}

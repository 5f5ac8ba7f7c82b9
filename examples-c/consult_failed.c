/*
 * consult_failed.c -- flow C6 (docs/CALL-MODEL.md): the server refuses the consult.
 *
 *   I->S InitConf DestDN=fail6004
 *   S->I [Held] [Dialing] CallError FailedReq=InitConf TLibErrCode=56
 *   => OPERATION_DONE FAILED, state ACTIVE, 2 parties; NO RetrieveCall
 *   S->I [Retrieved]   (reported as CALL_STATUS, changes nothing)
 *
 * After a CallError the server ends the consult leg and takes the caller off
 * hold itself (rule R3); a RetrieveCall now would only earn another
 * CallError (rule R4), so the engine sends none. The OPERATION_DONE carries
 * the request that failed and the T-Library error code, for the driver's log.
 * The simulator fails every number starting with "fail".
 */
#define _POSIX_C_SOURCE 200809L
#include "example.h"

int main(void) {
    char server[64];
    ivrconf_sim *sim = ex_sim_start(server, sizeof server);
    ivrconf_config *cfg = ex_config_new(server);
    ex_waiter waiter;
    ivrconf_engine *engine = NULL;
    ivrconf_op_id op = 0;
    uint64_t retrieves = 0;
    ex_event done;
    int ok;

    ex_waiter_init(&waiter, 1);
    EX_CHECK(ivrconf_engine_new(cfg, ex_on_event, NULL, &waiter, ex_on_free, &engine));
    ivrconf_config_free(cfg);
    EX_CHECK(ivrconf_engine_wait_ready(engine, EX_READY_TIMEOUT_MS));
    EX_CHECK(ivrconf_call_new(engine, "call-1", "5000", NULL, NULL, NULL, 0));

    printf("C6 consult conference call-1 -> fail6004\n");
    EX_CHECK(ivrconf_conference_init(engine, "call-1", "fail6004", NULL, 0, &op));

    done = ex_wait_done(&waiter, op);
    ok = ex_expect(&done, IVRCONF_OUTCOME_FAILED, IVRCONF_CALL_STATE_ACTIVE, 2);
    printf("failed request %u (InitConf is %u), TLibErrCode %d\n",
           done.failed_request, IVRCONF_REQUEST_INIT_CONF, done.tlib_error);
    ok = ok && done.failed_request == IVRCONF_REQUEST_INIT_CONF;

    /* End the call first: once the server has the EndCall it has every
     * request the engine sent for the call, so the count below is final. */
    EX_CHECK(ivrconf_call_end(engine, "call-1"));
    ex_wait_ended(&waiter, "call-1");
    EX_CHECK(ivrconf_sim_wait_received(sim, "EndCall", 1, EX_EVENT_TIMEOUT_MS));
    EX_CHECK(ivrconf_sim_received_count(sim, "RetrieveCall", &retrieves));
    printf("RetrieveCall sent by the engine: %llu\n", (unsigned long long)retrieves);
    ok = ok && retrieves == 0;

    ivrconf_engine_free(engine);
    ok = ok && waiter.freed == 1;
    ex_waiter_destroy(&waiter);
    ivrconf_sim_free(sim);
    return ok ? 0 : 1;
}

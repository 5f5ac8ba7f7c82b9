/*
 * consult_busy.c -- flow C5 (docs/CALL-MODEL.md): the consulted number is busy.
 *
 *   I->S InitConf DestDN=busy6003   S->I Held, Dialing, Busy
 *   I->S RetrieveCall   (sent by the engine itself: vendor rule R2)
 *   S->I [Released] Retrieved
 *   => OPERATION_DONE BUSY, state ACTIVE, 2 parties
 *
 * Busy is not an error: the caller is on hold and somebody has to get them
 * back. The engine does it (the driver never sends RetrieveCall itself) and
 * reports BUSY only once the caller is back, after the Retrieved CALL_STATUS.
 * The simulator answers busy for every number starting with "busy".
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

    printf("C5 consult conference call-1 -> busy6003\n");
    EX_CHECK(ivrconf_conference_init(engine, "call-1", "busy6003", NULL, 0, &op));

    done = ex_wait_done(&waiter, op);
    ok = ex_expect(&done, IVRCONF_OUTCOME_BUSY, IVRCONF_CALL_STATE_ACTIVE, 2);

    /* The caller is back with the IVR: the application may play "the line
     * is busy" and offer another try -- the call accepts a new op at once. */
    EX_CHECK(ivrconf_call_can(engine, "call-1", IVRCONF_OP_CONFERENCE_CONSULT));

    /* What the simulator received: exactly one RetrieveCall (rule R2). */
    EX_CHECK(ivrconf_sim_received_count(sim, "RetrieveCall", &retrieves));
    printf("RetrieveCall sent by the engine: %llu\n", (unsigned long long)retrieves);
    ok = ok && retrieves == 1;

    EX_CHECK(ivrconf_call_end(engine, "call-1"));
    ex_wait_ended(&waiter, "call-1");
    ivrconf_engine_free(engine);
    ok = ok && waiter.freed == 1;
    ex_waiter_destroy(&waiter);
    ivrconf_sim_free(sim);
    return ok ? 0 : 1;
}

/*
 * consult_conference.c -- flow C3 (docs/CALL-MODEL.md): put the caller on hold, talk to a
 * third party first, then join everybody (InitConf, then CompleteConf).
 *
 *   I->S InitConf DestDN=6002   S->I [Held] [Dialing] [Ringing] Established
 *   app: ivrconf_conference_complete
 *   I->S CompleteConf           S->I [Released] [Retrieved] ConfPartyAdd
 *   => OPERATION_DONE COMPLETED, state CONFERENCED, 3 parties
 *
 * The consult is one operation with one op id: conference_complete and
 * consult_cancel continue it and give no new id, so the application waits
 * for a single OPERATION_DONE whichever way the consult ends.
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
    uint32_t state = 0;
    ex_event done;
    int ok;

    ex_waiter_init(&waiter, 1);
    EX_CHECK(ivrconf_engine_new(cfg, ex_on_event, NULL, &waiter, ex_on_free, &engine));
    ivrconf_config_free(cfg);
    EX_CHECK(ivrconf_engine_wait_ready(engine, EX_READY_TIMEOUT_MS));
    EX_CHECK(ivrconf_call_new(engine, "call-1", "5000", NULL, NULL, NULL, 0));

    printf("C3 consult conference call-1 -> 6002\n");
    EX_CHECK(ivrconf_conference_init(engine, "call-1", "6002", NULL, 0, &op));

    /* The consulted party answered: the IVR can now talk to it (announce
     * the caller, ...). No timer runs in this state: the engine waits for
     * the application to complete or cancel. */
    ex_wait_status(&waiter, "call-1", IVRCONF_STATUS_ESTABLISHED);
    EX_CHECK(ivrconf_call_state(engine, "call-1", &state));
    printf("state after Established: %s\n", ex_state_name(state));

    /* call_can answers "would this be accepted now?" without sending
     * anything: handy to grey out a menu entry. */
    EX_CHECK(ivrconf_call_can(engine, "call-1", IVRCONF_OP_CONFERENCE_COMPLETE));
    EX_CHECK(ivrconf_conference_complete(engine, "call-1"));

    done = ex_wait_done(&waiter, op);
    ok = ex_expect(&done, IVRCONF_OUTCOME_COMPLETED, IVRCONF_CALL_STATE_CONFERENCED, 3) &&
         state == IVRCONF_CALL_STATE_CONSULT_ESTABLISHED;

    EX_CHECK(ivrconf_call_end(engine, "call-1"));
    ex_wait_ended(&waiter, "call-1");
    ivrconf_engine_free(engine);
    ok = ok && waiter.freed == 1;
    ex_waiter_destroy(&waiter);
    ivrconf_sim_free(sim);
    return ok ? 0 : 1;
}

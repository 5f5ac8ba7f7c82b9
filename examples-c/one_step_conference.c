/*
 * one_step_conference.c -- flow C1 (docs/CALL-MODEL.md): add a third party to a call in one
 * request (OneStepConf), then leave the conference.
 *
 *   I->S OneStepConf DestDN=6001      S->I [Dialing] [Ringing] ConfPartyAdd
 *   => OPERATION_DONE COMPLETED, state CONFERENCED, 3 parties
 *
 * The pattern every example follows:
 *   1. start the engine with an event callback and wait until it is logged in;
 *   2. announce the call the IVR port is handling (ivrconf_call_new);
 *   3. start the operation, keep its op id;
 *   4. wait for the one OPERATION_DONE of that op id -- the engine promises
 *      exactly one, whatever happens -- and act on its outcome;
 *   5. end the call, free the engine (it runs free_userdata last), then the rest.
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
    ex_event done;
    int ok;

    ex_waiter_init(&waiter, 1);
    /* The engine copies the config: it can be freed right away. */
    EX_CHECK(ivrconf_engine_new(cfg, ex_on_event, NULL, &waiter, ex_on_free, &engine));
    ivrconf_config_free(cfg);

    /* engine_new never blocks on the network; a driver that must not accept
     * calls before the link is up waits here. */
    EX_CHECK(ivrconf_engine_wait_ready(engine, EX_READY_TIMEOUT_MS));

    /* The call id is the driver's own; it only has to be unique among the
     * live calls. User data travels with NewCall. */
    {
        ivrconf_kv udata[] = {{"CustomerId", "42"}, {"Language", "en"}};
        EX_CHECK(ivrconf_call_new(engine, "call-1", "5000", "5000", "0601020304",
                                  udata, sizeof udata / sizeof udata[0]));
    }

    printf("C1 one-step conference call-1 -> 6001\n");
    EX_CHECK(ivrconf_conference_one_step(engine, "call-1", "6001", NULL, 0, &op));

    done = ex_wait_done(&waiter, op);
    ok = ex_expect(&done, IVRCONF_OUTCOME_COMPLETED, IVRCONF_CALL_STATE_CONFERENCED, 3);

    /* The IVR leaves; the caller and 6001 stay connected. CALL_ENDED is the
     * call's last event, and the id may be reused from now on. */
    EX_CHECK(ivrconf_call_end(engine, "call-1"));
    ex_wait_ended(&waiter, "call-1");

    /* Called from main (not from a callback): when it returns no callback
     * runs any more and free_userdata has run exactly once. */
    ivrconf_engine_free(engine);
    if (waiter.freed != 1) {
        printf("UNEXPECTED: free_userdata ran %d times\n", waiter.freed);
        ok = 0;
    }
    ex_waiter_destroy(&waiter);
    ivrconf_sim_free(sim);
    return ok ? 0 : 1;
}

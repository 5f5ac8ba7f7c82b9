/*
 * transfer.c -- flow T2 (docs/CALL-MODEL.md) then T1: hand the caller over to another number
 * and leave the call.
 *
 * T2 consult transfer (call-1):
 *   I->S InitXfer DestDN=6005   S->I [Held] [Dialing] [Ringing] Established
 *   app: ivrconf_transfer_complete
 *   I->S CompleteXfer           S->I XferComplete
 *   => OPERATION_DONE COMPLETED, state TRANSFERRED
 * T1 one-step (blind) transfer (call-2):
 *   I->S OneStepXfer DestDN=6006   S->I XferComplete
 *   => OPERATION_DONE COMPLETED, state TRANSFERRED
 *
 * After a transfer the IVR is out of the call: the driver does not call
 * ivrconf_call_end. The server ends the call (EndCall or Released), and if
 * it does not within request_timeout_ms the engine sends EndCall itself;
 * either way a CALL_ENDED event closes the call.
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
    EX_CHECK(ivrconf_engine_new(cfg, ex_on_event, NULL, &waiter, ex_on_free, &engine));
    ivrconf_config_free(cfg);
    EX_CHECK(ivrconf_engine_wait_ready(engine, EX_READY_TIMEOUT_MS));

    printf("T2 consult transfer call-1 -> 6005\n");
    EX_CHECK(ivrconf_call_new(engine, "call-1", "5000", NULL, NULL, NULL, 0));
    {
        /* User data for the destination (attached data in Genesys terms). */
        ivrconf_kv udata[] = {{"TransferReason", "sales"}};
        EX_CHECK(ivrconf_transfer_init(engine, "call-1", "6005", udata, 1, &op));
    }
    ex_wait_status(&waiter, "call-1", IVRCONF_STATUS_ESTABLISHED);
    EX_CHECK(ivrconf_transfer_complete(engine, "call-1"));
    done = ex_wait_done(&waiter, op);
    ok = ex_expect(&done, IVRCONF_OUTCOME_COMPLETED, IVRCONF_CALL_STATE_TRANSFERRED, 0);
    ex_wait_ended(&waiter, "call-1");

    printf("T1 one-step transfer call-2 -> 6006\n");
    EX_CHECK(ivrconf_call_new(engine, "call-2", "5000", NULL, NULL, NULL, 0));
    EX_CHECK(ivrconf_transfer_one_step(engine, "call-2", "6006", NULL, 0, &op));
    done = ex_wait_done(&waiter, op);
    ok = ex_expect(&done, IVRCONF_OUTCOME_COMPLETED, IVRCONF_CALL_STATE_TRANSFERRED, 0) && ok;
    ex_wait_ended(&waiter, "call-2");

    ivrconf_engine_free(engine);
    ok = ok && waiter.freed == 1;
    ex_waiter_destroy(&waiter);
    ivrconf_sim_free(sim);
    return ok ? 0 : 1;
}

/*
 * poll_mode.c -- the same engine without callbacks: the driver's own loop
 * asks for events with ivrconf_engine_next_event. Shown with a consult
 * conference that the IVR cancels once the consulted party has answered
 * (docs/CALL-MODEL.md, "Cancel"):
 *
 *   I->S InitConf DestDN=6007   S->I [Held] [Dialing] [Ringing] Established
 *   app: ivrconf_consult_cancel
 *   I->S RetrieveCall           S->I [Released] Retrieved
 *   => OPERATION_DONE CANCELLED, state ACTIVE, 2 parties
 *
 * Poll mode suits a driver that already has an event loop (or a single
 * thread): no callback ever runs on an engine thread, and the events are
 * the same, in the same order, as in callback mode. Each event returned by
 * next_event belongs to the caller until ivrconf_event_free.
 */
#define _POSIX_C_SOURCE 200809L
#include "example.h"

int main(void) {
    char server[64];
    ivrconf_sim *sim = ex_sim_start(server, sizeof server);
    ivrconf_config *cfg = ex_config_new(server);
    ivrconf_engine *engine = NULL;
    ivrconf_op_id op = 0;
    int ok = 0, running = 1;

    /* on_event NULL selects poll mode; no userdata is needed. */
    EX_CHECK(ivrconf_engine_new(cfg, NULL, NULL, NULL, NULL, &engine));
    ivrconf_config_free(cfg);
    EX_CHECK(ivrconf_engine_wait_ready(engine, EX_READY_TIMEOUT_MS));
    EX_CHECK(ivrconf_call_new(engine, "call-1", "5000", NULL, NULL, NULL, 0));

    printf("consult conference call-1 -> 6007, cancelled after the answer\n");
    EX_CHECK(ivrconf_conference_init(engine, "call-1", "6007", NULL, 0, &op));

    while (running) {
        ivrconf_event *ev = NULL;
        ex_event e;
        ivrconf_result r = ivrconf_engine_next_event(engine, EX_EVENT_TIMEOUT_MS, &ev);
        if (r != IVRCONF_OK) {
            /* IVRCONF_ERR_TIMEOUT: nothing happened for 5 s -- a real driver
             * would do its other work and loop; here it means a lost event. */
            printf("UNEXPECTED: next_event -> %s\n", ivrconf_result_str(r));
            break;
        }
        ex_event_copy(ev, &e);
        ivrconf_event_free(ev); /* the copy is ours; the event can go now */
        ex_event_print(&e);

        switch (e.kind) {
        case IVRCONF_EVENT_CALL_STATUS:
            /* The consulted party answered; the IVR decides not to join
             * them after all. The engine retrieves the caller. */
            if (e.status == IVRCONF_STATUS_ESTABLISHED)
                EX_CHECK(ivrconf_consult_cancel(engine, "call-1"));
            break;
        case IVRCONF_EVENT_OPERATION_DONE:
            if (e.op_id == op) {
                ok = ex_expect(&e, IVRCONF_OUTCOME_CANCELLED, IVRCONF_CALL_STATE_ACTIVE, 2);
                EX_CHECK(ivrconf_call_end(engine, "call-1"));
            }
            break;
        case IVRCONF_EVENT_CALL_ENDED:
            running = 0; /* the call's last event */
            break;
        default: /* SESSION_UP (queued before wait_ready returned), ... */
            break;
        }
    }

    /* In poll mode, events still queued are discarded by engine_free. */
    ivrconf_engine_free(engine);
    ivrconf_sim_free(sim);
    return ok && !running ? 0 : 1;
}

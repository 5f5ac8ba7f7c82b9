/*
 * trace.c -- a call's trace from the flight recorder: a consult conference
 * (C3: InitConf, then CompleteConf) against the bundled simulator, then
 * everything that happened to the call, printed in order.
 *
 *   +0.000 app call_new called_num=5000 -> OK
 *   +0.041 I->S NewCall CallId=call-1 CallControlMode=Network ...
 *   +0.052 app conference_init dest=6002 -> op 1
 *   +0.053 I->S InitConf CallId=call-1 DestDN=6002 ReqId=1
 *   +0.101 S->I CallStatus CallId=call-1 Event=Held
 *   +0.102 event CALL_STATUS Held, CONSULTING, 2 parties
 *   ...
 *
 * The engine keeps a trace for every live call and for the most recently
 * ended ones (`trace_keep_ended`), so it can be read after the call ended,
 * as here, or at any moment while it runs. ivrconf_call_trace returns a new
 * string; the application frees it with ivrconf_string_free. Besides TEXT
 * there are IVRCONF_TRACE_MERMAID (a sequence diagram for Mermaid) and
 * IVRCONF_TRACE_JSONL (for tools: `ivrconf-trace render` draws it as SVG);
 * docs/TRACE.md has the formats.
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
    char *trace = NULL;
    int ok;

    ex_waiter_init(&waiter, 0);
    EX_CHECK(ivrconf_engine_new(cfg, ex_on_event, NULL, &waiter, ex_on_free, &engine));
    ivrconf_config_free(cfg);
    EX_CHECK(ivrconf_engine_wait_ready(engine, EX_READY_TIMEOUT_MS));

    /* The consult conference of consult_conference.c. */
    EX_CHECK(ivrconf_call_new(engine, "call-1", "5000", NULL, NULL, NULL, 0));
    EX_CHECK(ivrconf_conference_init(engine, "call-1", "6002", NULL, 0, &op));
    ex_wait_status(&waiter, "call-1", IVRCONF_STATUS_ESTABLISHED);
    EX_CHECK(ivrconf_conference_complete(engine, "call-1"));
    done = ex_wait_done(&waiter, op);
    ok = ex_expect(&done, IVRCONF_OUTCOME_COMPLETED, IVRCONF_CALL_STATE_CONFERENCED, 3);
    EX_CHECK(ivrconf_call_end(engine, "call-1"));
    ex_wait_ended(&waiter, "call-1");

    /* The whole call, from call_new to CALL_ENDED. */
    EX_CHECK(ivrconf_call_trace(engine, "call-1", IVRCONF_TRACE_TEXT, &trace));
    printf("trace of call-1:\n%s", trace);
    ivrconf_string_free(trace);

    ivrconf_engine_free(engine);
    ok = ok && waiter.freed == 1;
    ex_waiter_destroy(&waiter);
    ivrconf_sim_free(sim);
    return ok ? 0 : 1;
}

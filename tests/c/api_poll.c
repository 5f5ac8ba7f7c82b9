/*
 * api_poll.c -- poll mode (C-API.md "Poll mode"): ivrconf_engine_next_event
 * returns the same events as callback mode, oldest first; TIMEOUT when none
 * comes; INVALID_STATE on an engine with an event callback. Also: what each
 * event accessor returns for the fields an event kind carries or not, that
 * an event stays valid until ivrconf_event_free (even across later
 * next_event calls), and that engine_free discards unread events.
 */
#define _POSIX_C_SOURCE 200809L
#include "api_test.h"

static ivrconf_event *next(ivrconf_engine *e) {
    ivrconf_event *ev = NULL;
    ivrconf_result r = ivrconf_engine_next_event(e, EX_EVENT_TIMEOUT_MS, &ev);
    if (r != IVRCONF_OK) {
        fprintf(stderr, "FAIL: next_event -> %s\n", ivrconf_result_str(r));
        exit(1);
    }
    return ev;
}

/* Reads the events of `call_id` up to the OPERATION_DONE of its op `op`
 * (of kind `kind_of_op`);
 * returns that event (not freed) and writes the CALL_STATUS values seen, in
 * order, to statuses[] (0-terminated). */
static ivrconf_event *until_done(ivrconf_engine *e, const char *call_id, ivrconf_op_id op,
                                 uint32_t kind_of_op, uint32_t *statuses, size_t max) {
    size_t n = 0;
    for (;;) {
        ivrconf_event *ev = next(e);
        uint32_t kind = ivrconf_event_kind(ev);
        const char *id = ivrconf_event_call_id(ev);
        T_ASSERT(id && strcmp(id, call_id) == 0, "event %s for call %s, expected %s",
                 ex_kind_name(kind), id ? id : "(null)", call_id);
        if (kind == IVRCONF_EVENT_OPERATION_DONE) {
            statuses[n] = 0;
            return ev;
        }
        T_ASSERT(kind == IVRCONF_EVENT_CALL_STATUS, "unexpected %s before OPERATION_DONE", ex_kind_name(kind));
        /* A CALL_STATUS names the op in flight, but carries no outcome
         * fields. */
        T_ASSERT(ivrconf_event_op_id(ev) == op && ivrconf_event_op_kind(ev) == kind_of_op &&
                     ivrconf_event_outcome(ev) == 0 && ivrconf_event_failed_request(ev) == 0 &&
                     ivrconf_event_tlib_error(ev) == -1 && ivrconf_event_status(ev) != 0,
                 "CALL_STATUS fields: op %llu (op in flight %llu) outcome %u failed_request %u "
                 "tlib_error %d status %u", (unsigned long long)ivrconf_event_op_id(ev),
                 (unsigned long long)op, ivrconf_event_outcome(ev), ivrconf_event_failed_request(ev),
                 ivrconf_event_tlib_error(ev), ivrconf_event_status(ev));
        if (n + 1 < max)
            statuses[n++] = ivrconf_event_status(ev);
        ivrconf_event_free(ev);
    }
}

static int has_before(const uint32_t *statuses, uint32_t first, uint32_t then) {
    size_t i, at_first = (size_t)-1;
    for (i = 0; statuses[i]; i++) {
        if (statuses[i] == first && at_first == (size_t)-1)
            at_first = i;
        if (statuses[i] == then && at_first != (size_t)-1)
            return 1;
    }
    return 0;
}

int main(void) {
    char server[64];
    ivrconf_sim *sim = ex_sim_start(server, sizeof server);
    ivrconf_config *cfg = ex_config_new(server);
    ivrconf_engine *e = NULL, *cb = NULL;
    ivrconf_event *ev = NULL, *busy_done = NULL;
    ivrconf_op_id op = 0, op2 = 0;
    uint32_t statuses[32];
    ex_waiter w;
    char text[256];

    T_OK(ivrconf_engine_new(cfg, NULL, NULL, NULL, NULL, &e));
    T_RESULT(ivrconf_engine_next_event(e, 10, NULL), IVRCONF_ERR_NULL_ARGUMENT);
    T_OK(ivrconf_engine_wait_ready(e, EX_READY_TIMEOUT_MS));

    /* SESSION_UP: a session event carries no call fields. */
    ev = next(e);
    T_ASSERT(ivrconf_event_kind(ev) == IVRCONF_EVENT_SESSION_UP, "first event %s",
             ex_kind_name(ivrconf_event_kind(ev)));
    T_ASSERT(ivrconf_event_call_id(ev) == NULL && ivrconf_event_op_id(ev) == 0 &&
                 ivrconf_event_status(ev) == 0 && ivrconf_event_outcome(ev) == 0 &&
                 ivrconf_event_call_state(ev) == 0 && ivrconf_event_party_count(ev) == 0 &&
                 ivrconf_event_failed_request(ev) == 0 && ivrconf_event_tlib_error(ev) == -1,
             "SESSION_UP carries call fields");
    T_ASSERT(strstr(ivrconf_event_text(ev), "127.0.0.1") != NULL,
             "SESSION_UP text \"%s\" does not name the server", ivrconf_event_text(ev));
    ivrconf_event_free(ev);

    /* Nothing queued: TIMEOUT, out-parameter untouched. */
    ev = NULL;
    T_RESULT(ivrconf_engine_next_event(e, 20, &ev), IVRCONF_ERR_TIMEOUT);
    T_ASSERT(ev == NULL, "next_event wrote its out-parameter on TIMEOUT");
    T_RESULT(ivrconf_engine_next_event(e, 0, &ev), IVRCONF_ERR_TIMEOUT);

    /* C5: the events of a busy consult, in order. */
    T_OK(ivrconf_call_new(e, "p1", "5000", NULL, NULL, NULL, 0));
    T_OK(ivrconf_conference_init(e, "p1", "busy6003", NULL, 0, &op));
    busy_done = until_done(e, "p1", op, IVRCONF_OP_CONFERENCE_CONSULT, statuses, 32);
    T_ASSERT(has_before(statuses, IVRCONF_STATUS_BUSY, IVRCONF_STATUS_RETRIEVED),
             "Busy then Retrieved must come before OPERATION_DONE BUSY");
    T_ASSERT(ivrconf_event_op_id(busy_done) == op &&
                 ivrconf_event_op_kind(busy_done) == IVRCONF_OP_CONFERENCE_CONSULT &&
                 ivrconf_event_outcome(busy_done) == IVRCONF_OUTCOME_BUSY &&
                 ivrconf_event_call_state(busy_done) == IVRCONF_CALL_STATE_ACTIVE &&
                 ivrconf_event_party_count(busy_done) == 2 && ivrconf_event_status(busy_done) == 0 &&
                 ivrconf_event_failed_request(busy_done) == 0 && ivrconf_event_tlib_error(busy_done) == -1,
             "OPERATION_DONE BUSY fields: op %llu kind %u outcome %s state %s parties %u",
             (unsigned long long)ivrconf_event_op_id(busy_done), ivrconf_event_op_kind(busy_done),
             ex_outcome_name(ivrconf_event_outcome(busy_done)),
             ex_state_name(ivrconf_event_call_state(busy_done)), ivrconf_event_party_count(busy_done));
    snprintf(text, sizeof text, "%s", ivrconf_event_text(busy_done));
    T_ASSERT(text[0] != '\0', "OPERATION_DONE without text");

    /* Keep busy_done while reading more: it must stay intact. */
    T_OK(ivrconf_conference_one_step(e, "p1", "fail6001", NULL, 0, &op2));
    T_ASSERT(op2 != op && op2 != 0, "op ids must differ and not be 0");
    ev = until_done(e, "p1", op2, IVRCONF_OP_CONFERENCE_ONE_STEP, statuses, 32);
    T_ASSERT(ivrconf_event_op_id(ev) == op2 && ivrconf_event_outcome(ev) == IVRCONF_OUTCOME_FAILED &&
                 ivrconf_event_op_kind(ev) == IVRCONF_OP_CONFERENCE_ONE_STEP &&
                 ivrconf_event_failed_request(ev) == IVRCONF_REQUEST_ONE_STEP_CONF &&
                 ivrconf_event_tlib_error(ev) == 56 &&
                 ivrconf_event_call_state(ev) == IVRCONF_CALL_STATE_ACTIVE,
             "one-step FAILED fields: outcome %s failed_request %u tlib_error %d",
             ex_outcome_name(ivrconf_event_outcome(ev)), ivrconf_event_failed_request(ev),
             ivrconf_event_tlib_error(ev));
    ivrconf_event_free(ev);
    T_ASSERT(strcmp(ivrconf_event_text(busy_done), text) == 0 &&
                 strcmp(ivrconf_event_call_id(busy_done), "p1") == 0 &&
                 ivrconf_event_outcome(busy_done) == IVRCONF_OUTCOME_BUSY,
             "an event changed before ivrconf_event_free");
    ivrconf_event_free(busy_done);

    /* C6: after the FAILED of a consult the server's Retrieved still comes,
     * as a CALL_STATUS with no op in flight. */
    T_OK(ivrconf_conference_init(e, "p1", "fail6002", NULL, 0, &op));
    ev = until_done(e, "p1", op, IVRCONF_OP_CONFERENCE_CONSULT, statuses, 32);
    T_ASSERT(ivrconf_event_outcome(ev) == IVRCONF_OUTCOME_FAILED &&
                 ivrconf_event_failed_request(ev) == IVRCONF_REQUEST_INIT_CONF,
             "consult to fail6002: %s", ex_outcome_name(ivrconf_event_outcome(ev)));
    ivrconf_event_free(ev);
    ev = next(e);
    T_ASSERT(ivrconf_event_kind(ev) == IVRCONF_EVENT_CALL_STATUS &&
                 ivrconf_event_status(ev) == IVRCONF_STATUS_RETRIEVED && ivrconf_event_op_id(ev) == 0 &&
                 ivrconf_event_op_kind(ev) == 0 && ivrconf_event_call_state(ev) == IVRCONF_CALL_STATE_ACTIVE,
             "after FAILED: %s status %s op %llu state %s", ex_kind_name(ivrconf_event_kind(ev)),
             ex_status_name(ivrconf_event_status(ev)), (unsigned long long)ivrconf_event_op_id(ev),
             ex_state_name(ivrconf_event_call_state(ev)));
    ivrconf_event_free(ev);

    /* CALL_ENDED is the call's last event. */
    T_OK(ivrconf_call_end(e, "p1"));
    ev = next(e);
    T_ASSERT(ivrconf_event_kind(ev) == IVRCONF_EVENT_CALL_ENDED &&
                 strcmp(ivrconf_event_call_id(ev), "p1") == 0 &&
                 ivrconf_event_call_state(ev) == IVRCONF_CALL_STATE_ENDED,
             "after call_end: %s state %s", ex_kind_name(ivrconf_event_kind(ev)),
             ex_state_name(ivrconf_event_call_state(ev)));
    ivrconf_event_free(ev);
    ev = NULL;
    T_RESULT(ivrconf_engine_next_event(e, 50, &ev), IVRCONF_ERR_TIMEOUT);

    /* Unread events are discarded by engine_free (valgrind: no leak). */
    T_OK(ivrconf_call_new(e, "p2", "5000", NULL, NULL, NULL, 0));
    T_OK(ivrconf_conference_one_step(e, "p2", "6001", NULL, 0, &op));
    ivrconf_engine_free(e);

    /* Callback mode: next_event is refused. */
    ex_waiter_init(&w, 0);
    T_OK(ivrconf_engine_new(cfg, ex_on_event, NULL, &w, ex_on_free, &cb));
    ev = NULL;
    T_REFUSED(ivrconf_engine_next_event(cb, 10, &ev), IVRCONF_ERR_INVALID_STATE, "");
    T_ASSERT(ev == NULL, "refused next_event wrote its out-parameter");
    ivrconf_engine_free(cb);
    ex_waiter_destroy(&w);

    ivrconf_config_free(cfg);
    ivrconf_sim_free(sim);
    return t_finish("api_poll");
}

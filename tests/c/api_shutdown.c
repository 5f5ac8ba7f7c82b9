/*
 * api_shutdown.c -- ivrconf_engine_shutdown (C-API.md "Engine"):
 *   - every op in flight ends with one OPERATION_DONE CANCELLED whose call
 *     state is the call's state at that moment (CONSULTING,
 *     CONSULT_ESTABLISHED, ACTIVE for a one-step op);
 *   - nothing is sent to the server (no RetrieveCall, no EndCall), and no
 *     CALL_ENDED or SESSION_DOWN is emitted;
 *   - later calls are refused with IVRCONF_ERR_SHUT_DOWN;
 *   - in poll mode the CANCELLED events stay readable until engine_free;
 *   - shutdown from inside a callback.
 */
#define _POSIX_C_SOURCE 200809L
#include "api_test.h"

static const char *const requests_after[] = {"RetrieveCall", "EndCall", "CompleteConf",
                                             "CompleteXfer"};

/* The counts of requests_after[] at the simulator. */
static void sent_counts(const ivrconf_sim *sim, uint64_t *out) {
    size_t i;
    for (i = 0; i < sizeof requests_after / sizeof requests_after[0]; i++)
        EX_CHECK(ivrconf_sim_received_count(sim, requests_after[i], &out[i]));
}

static void later_calls_refused(ivrconf_engine *e) {
    ivrconf_op_id op = 0;
    T_RESULT(ivrconf_call_new(e, "z1", "5000", NULL, NULL, NULL, 0), IVRCONF_ERR_SHUT_DOWN);
    T_RESULT(ivrconf_conference_one_step(e, "a4", "6001", NULL, 0, &op), IVRCONF_ERR_SHUT_DOWN);
    T_RESULT(ivrconf_conference_init(e, "a4", "6001", NULL, 0, &op), IVRCONF_ERR_SHUT_DOWN);
    T_RESULT(ivrconf_transfer_one_step(e, "a4", "6001", NULL, 0, &op), IVRCONF_ERR_SHUT_DOWN);
    T_RESULT(ivrconf_transfer_init(e, "a4", "6001", NULL, 0, &op), IVRCONF_ERR_SHUT_DOWN);
    T_RESULT(ivrconf_conference_complete(e, "a2"), IVRCONF_ERR_SHUT_DOWN);
    T_RESULT(ivrconf_transfer_complete(e, "a2"), IVRCONF_ERR_SHUT_DOWN);
    T_RESULT(ivrconf_consult_cancel(e, "a2"), IVRCONF_ERR_SHUT_DOWN);
    T_RESULT(ivrconf_call_can(e, "a4", IVRCONF_OP_CONFERENCE_ONE_STEP), IVRCONF_ERR_SHUT_DOWN);
    T_REFUSED(ivrconf_call_end(e, "a4"), IVRCONF_ERR_SHUT_DOWN, "");
    T_ASSERT(op == 0, "a refused op wrote its op id");
}

static void callback_mode(const char *server, ivrconf_sim *sim) {
    ex_waiter w;
    ivrconf_engine *e;
    ivrconf_op_id a1 = 0, a2 = 0, a3 = 0;
    ex_event d1, d2, d3;
    uint64_t before[4], after[4];
    size_t i;

    ex_waiter_init(&w, 0);
    e = t_engine(server, &w, "no_answer_timeout_ms", "60000", "request_timeout_ms", "60000", NULL);
    T_OK(ivrconf_call_new(e, "a1", "5000", NULL, NULL, NULL, 0));
    T_OK(ivrconf_call_new(e, "a2", "5000", NULL, NULL, NULL, 0));
    T_OK(ivrconf_call_new(e, "a3", "5000", NULL, NULL, NULL, 0));
    T_OK(ivrconf_call_new(e, "a4", "5000", NULL, NULL, NULL, 0));
    /* a1 consulting (rings forever), a2 consult answered, a3 one-step
     * request the server never answers, a4 idle. */
    T_OK(ivrconf_conference_init(e, "a1", "noanswer7001", NULL, 0, &a1));
    T_OK(ivrconf_transfer_init(e, "a2", "7002", NULL, 0, &a2));
    T_OK(ivrconf_conference_one_step(e, "a3", "silent7003", NULL, 0, &a3));
    ex_wait_status(&w, "a1", IVRCONF_STATUS_RINGING);
    ex_wait_status(&w, "a2", IVRCONF_STATUS_ESTABLISHED);
    sent_counts(sim, before);

    T_OK(ivrconf_engine_shutdown(e));
    later_calls_refused(e);
    d1 = ex_wait_done(&w, a1);
    d2 = ex_wait_done(&w, a2);
    d3 = ex_wait_done(&w, a3);
    T_ASSERT(d1.outcome == IVRCONF_OUTCOME_CANCELLED && d1.call_state == IVRCONF_CALL_STATE_CONSULTING,
             "a1: %s %s", ex_outcome_name(d1.outcome), ex_state_name(d1.call_state));
    T_ASSERT(d2.outcome == IVRCONF_OUTCOME_CANCELLED &&
                 d2.call_state == IVRCONF_CALL_STATE_CONSULT_ESTABLISHED,
             "a2: %s %s", ex_outcome_name(d2.outcome), ex_state_name(d2.call_state));
    T_ASSERT(d3.outcome == IVRCONF_OUTCOME_CANCELLED && d3.call_state == IVRCONF_CALL_STATE_ACTIVE,
             "a3: %s %s", ex_outcome_name(d3.outcome), ex_state_name(d3.call_state));

    ivrconf_engine_free(e);
    /* The engine's connection is closed now: whatever it sent has been
     * written before, and the simulator counts a message when it reads it. */
    sent_counts(sim, after);
    for (i = 0; i < 4; i++)
        T_ASSERT(after[i] == before[i], "%s sent after shutdown (%llu -> %llu)", requests_after[i],
                 (unsigned long long)before[i], (unsigned long long)after[i]);
    T_ASSERT(w.freed == 1, "free_userdata ran %d times", w.freed);
    for (i = 0; i < w.len; i++)
        T_ASSERT(w.events[i].kind != IVRCONF_EVENT_CALL_ENDED && w.events[i].kind != IVRCONF_EVENT_SESSION_DOWN,
                 "%s emitted after shutdown", ex_kind_name(w.events[i].kind));
    T_ASSERT(w.len > 0 && w.events[w.len - 1].kind == IVRCONF_EVENT_OPERATION_DONE,
             "the CANCELLED events must be the last");
    ex_waiter_destroy(&w);
}

static void poll_mode(const char *server) {
    ivrconf_config *cfg = ex_config_new(server);
    ivrconf_engine *e = NULL;
    ivrconf_event *ev = NULL;
    ivrconf_op_id op = 0;
    int cancelled = 0;

    EX_CHECK(ivrconf_config_set(cfg, "no_answer_timeout_ms", "60000"));
    T_OK(ivrconf_engine_new(cfg, NULL, NULL, NULL, NULL, &e));
    ivrconf_config_free(cfg);
    T_OK(ivrconf_engine_wait_ready(e, EX_READY_TIMEOUT_MS));
    T_OK(ivrconf_call_new(e, "b1", "5000", NULL, NULL, NULL, 0));
    T_OK(ivrconf_conference_init(e, "b1", "noanswer7004", NULL, 0, &op));
    T_OK(ivrconf_engine_shutdown(e));
    T_RESULT(ivrconf_call_new(e, "b2", "5000", NULL, NULL, NULL, 0), IVRCONF_ERR_SHUT_DOWN);

    /* The events queued before and by the shutdown are still there. */
    while (ivrconf_engine_next_event(e, EX_EVENT_TIMEOUT_MS, &ev) == IVRCONF_OK) {
        uint32_t kind = ivrconf_event_kind(ev);
        T_ASSERT(kind != IVRCONF_EVENT_CALL_ENDED && kind != IVRCONF_EVENT_SESSION_DOWN,
                 "%s after shutdown", ex_kind_name(kind));
        if (kind == IVRCONF_EVENT_OPERATION_DONE) {
            T_ASSERT(ivrconf_event_op_id(ev) == op && ivrconf_event_outcome(ev) == IVRCONF_OUTCOME_CANCELLED,
                     "poll: op %llu outcome %s", (unsigned long long)ivrconf_event_op_id(ev),
                     ex_outcome_name(ivrconf_event_outcome(ev)));
            cancelled++;
            ivrconf_event_free(ev);
            break;
        }
        ivrconf_event_free(ev);
    }
    T_ASSERT(cancelled == 1, "poll mode: %d CANCELLED events", cancelled);
    /* Drained after shutdown: SHUT_DOWN at once (no more events can come),
     * and the out-parameter is left alone. */
    ev = NULL;
    T_RESULT(ivrconf_engine_next_event(e, 5000, &ev), IVRCONF_ERR_SHUT_DOWN);
    T_ASSERT(ev == NULL, "out-parameter untouched on failure");
    ivrconf_engine_free(e);
}

/* Shutdown from an event callback: the call returns, the other op ends
 * CANCELLED afterwards. */
typedef struct inside {
    ex_waiter w; /* first */
    ivrconf_engine *engine;
    ivrconf_op_id trigger;
    ivrconf_result shutdown_result;
    int shutdown_done;
} inside;

static void inside_on_event(void *userdata, const ivrconf_event *ev) {
    inside *in = (inside *)userdata;
    ivrconf_op_id trigger;
    ivrconf_engine *e;
    pthread_mutex_lock(&in->w.lock);
    trigger = in->trigger;
    e = in->engine;
    pthread_mutex_unlock(&in->w.lock);
    if (trigger && ivrconf_event_kind(ev) == IVRCONF_EVENT_OPERATION_DONE &&
        ivrconf_event_op_id(ev) == trigger) {
        ivrconf_result r = ivrconf_engine_shutdown(e);
        pthread_mutex_lock(&in->w.lock);
        in->shutdown_result = r;
        in->shutdown_done = 1;
        pthread_mutex_unlock(&in->w.lock);
    }
    ex_on_event(userdata, ev);
}

static void from_a_callback(const char *server) {
    static inside in;
    ivrconf_config *cfg = ex_config_new(server);
    ivrconf_engine *e = NULL;
    ivrconf_op_id pending = 0;
    ex_event done;

    EX_CHECK(ivrconf_config_set(cfg, "no_answer_timeout_ms", "60000"));
    ex_waiter_init(&in.w, 0);
    T_OK(ivrconf_engine_new(cfg, inside_on_event, NULL, &in, ex_on_free, &e));
    ivrconf_config_free(cfg);
    pthread_mutex_lock(&in.w.lock);
    in.engine = e;
    pthread_mutex_unlock(&in.w.lock);
    T_OK(ivrconf_engine_wait_ready(e, EX_READY_TIMEOUT_MS));
    T_OK(ivrconf_call_new(e, "c1", "5000", NULL, NULL, NULL, 0));
    T_OK(ivrconf_call_new(e, "c2", "5000", NULL, NULL, NULL, 0));
    T_OK(ivrconf_conference_init(e, "c1", "noanswer7005", NULL, 0, &pending));
    pthread_mutex_lock(&in.w.lock);
    T_OK(ivrconf_conference_one_step(e, "c2", "6001", NULL, 0, &in.trigger));
    pthread_mutex_unlock(&in.w.lock);

    done = ex_wait_done(&in.w, pending);
    T_ASSERT(done.outcome == IVRCONF_OUTCOME_CANCELLED, "pending op: %s", ex_outcome_name(done.outcome));
    T_ASSERT(in.shutdown_done && in.shutdown_result == IVRCONF_OK, "shutdown in a callback -> %s",
             ivrconf_result_str(in.shutdown_result));
    ivrconf_engine_free(e);
    T_ASSERT(in.w.freed == 1, "free_userdata ran %d times", in.w.freed);
    ex_waiter_destroy(&in.w);
}

int main(void) {
    char server[64];
    ivrconf_sim *sim = ex_sim_start(server, sizeof server);
    callback_mode(server, sim);
    poll_mode(server);
    from_a_callback(server);
    ivrconf_sim_free(sim);
    return t_finish("api_shutdown");
}

/*
 * api_threads.c -- the engine under concurrent use: 8 threads announce
 * 1,000 calls between them and run one operation on each, all at once,
 * while also querying call_state / call_can. Checks, per call:
 *   - exactly one OPERATION_DONE, for the op id the start call returned,
 *     with the outcome the destination's behaviour gives;
 *   - exactly one CALL_ENDED, the call's last event;
 * and that no event names a call that was never announced, although the
 * simulator sends every CallStatus for an unknown call id too.
 */
#define _POSIX_C_SOURCE 200809L
#include "api_test.h"

#define THREADS 8
#define CALLS_PER_THREAD 125
#define CALLS (THREADS * CALLS_PER_THREAD)
#define TIMEOUT_MS 30000u

/* What happens to call i, by i % 6. */
static const struct plan {
    const char *dest;
    int consult, transfer, complete_at_once;
    uint32_t outcome;
} plans[] = {
    {"6001", 0, 0, 0, IVRCONF_OUTCOME_COMPLETED},     /* one-step conference */
    {"6002", 0, 1, 0, IVRCONF_OUTCOME_COMPLETED},     /* one-step transfer */
    {"busy6003", 1, 0, 0, IVRCONF_OUTCOME_BUSY},      /* consult, busy */
    {"fail6004", 1, 1, 0, IVRCONF_OUTCOME_FAILED},    /* consult transfer, failed */
    {"6005", 1, 0, 1, IVRCONF_OUTCOME_COMPLETED},     /* consult conference, blind complete */
    {"6006", 1, 1, 1, IVRCONF_OUTCOME_COMPLETED},     /* consult transfer, blind complete */
};
#define PLANS (sizeof plans / sizeof plans[0])

typedef struct per_call {
    ivrconf_op_id op;       /* from the start call */
    ivrconf_op_id done_op;  /* from OPERATION_DONE */
    uint32_t outcome, final_state;
    int done, ended, after_end;
} per_call;

static struct {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    per_call calls[CALLS];
    size_t done, ended, strangers, api_errors;
    ivrconf_engine *engine;
} g;

/* Call ids are "t<thread>-<n>"; the index is thread * CALLS_PER_THREAD + n. */
static int call_index(const char *id) {
    int t, n;
    char extra;
    if (id == NULL || sscanf(id, "t%d-%d%c", &t, &n, &extra) != 2 || t < 0 || t >= THREADS ||
        n < 0 || n >= CALLS_PER_THREAD)
        return -1;
    return t * CALLS_PER_THREAD + n;
}

static void on_event(void *userdata, const ivrconf_event *ev) {
    uint32_t kind = ivrconf_event_kind(ev);
    int i = call_index(ivrconf_event_call_id(ev));
    (void)userdata;
    if (kind != IVRCONF_EVENT_CALL_STATUS && kind != IVRCONF_EVENT_OPERATION_DONE &&
        kind != IVRCONF_EVENT_CALL_ENDED)
        return; /* session events */
    pthread_mutex_lock(&g.lock);
    if (i < 0) {
        g.strangers++;
    } else {
        per_call *c = &g.calls[i];
        if (c->ended)
            c->after_end++;
        if (kind == IVRCONF_EVENT_OPERATION_DONE) {
            c->done++;
            c->done_op = ivrconf_event_op_id(ev);
            c->outcome = ivrconf_event_outcome(ev);
            c->final_state = ivrconf_event_call_state(ev);
            g.done++;
        } else if (kind == IVRCONF_EVENT_CALL_ENDED) {
            c->ended++;
            g.ended++;
        }
    }
    pthread_cond_broadcast(&g.changed);
    pthread_mutex_unlock(&g.lock);
}

static void api_error(const char *what, const char *id, ivrconf_result r) {
    pthread_mutex_lock(&g.lock);
    if (g.api_errors++ < 10)
        fprintf(stderr, "FAIL: %s %s -> %s (%s)\n", what, id, ivrconf_result_str(r), ivrconf_last_error());
    pthread_mutex_unlock(&g.lock);
}

/* Waits until `*counter` reaches `n`; 1 on success. */
static int wait_count(size_t *counter, size_t n) {
    struct timespec at;
    int ok;
    ex_deadline(&at, TIMEOUT_MS);
    pthread_mutex_lock(&g.lock);
    while (*counter < n && pthread_cond_timedwait(&g.changed, &g.lock, &at) != ETIMEDOUT)
        ;
    ok = *counter >= n;
    pthread_mutex_unlock(&g.lock);
    return ok;
}

static void *worker(void *arg) {
    int t = (int)(intptr_t)arg, n;
    ivrconf_engine *e = g.engine;
    char id[32];
    ivrconf_result r;
    for (n = 0; n < CALLS_PER_THREAD; n++) {
        int i = t * CALLS_PER_THREAD + n;
        const struct plan *p = &plans[i % PLANS];
        ivrconf_op_id op = 0;
        uint32_t state = 0;
        snprintf(id, sizeof id, "t%d-%d", t, n);
        if ((r = ivrconf_call_new(e, id, "5000", NULL, NULL, NULL, 0)) != IVRCONF_OK) {
            api_error("call_new", id, r);
            continue;
        }
        if ((r = ivrconf_call_can(e, id, IVRCONF_OP_CONFERENCE_ONE_STEP)) != IVRCONF_OK)
            api_error("call_can", id, r);
        if (!p->consult)
            r = p->transfer ? ivrconf_transfer_one_step(e, id, p->dest, NULL, 0, &op)
                            : ivrconf_conference_one_step(e, id, p->dest, NULL, 0, &op);
        else
            r = p->transfer ? ivrconf_transfer_init(e, id, p->dest, NULL, 0, &op)
                            : ivrconf_conference_init(e, id, p->dest, NULL, 0, &op);
        if (r != IVRCONF_OK) {
            api_error("start", id, r);
            continue;
        }
        pthread_mutex_lock(&g.lock);
        g.calls[i].op = op;
        pthread_mutex_unlock(&g.lock);
        if (p->complete_at_once) {
            r = p->transfer ? ivrconf_transfer_complete(e, id) : ivrconf_conference_complete(e, id);
            if (r != IVRCONF_OK)
                api_error("complete", id, r);
        }
        /* While it runs: a query from this thread too. A transferred call
         * may already be over (the simulator ends it at once). */
        r = ivrconf_call_state(e, id, &state);
        if (r != IVRCONF_OK && !(r == IVRCONF_ERR_UNKNOWN_CALL && p->transfer))
            api_error("call_state", id, r);
    }
    return NULL;
}

/* Ends this thread's calls that the IVR still holds (not transferred). */
static void *ender(void *arg) {
    int t = (int)(intptr_t)arg, n;
    char id[32];
    for (n = 0; n < CALLS_PER_THREAD; n++) {
        int i = t * CALLS_PER_THREAD + n;
        ivrconf_result r;
        if (plans[i % PLANS].transfer && plans[i % PLANS].outcome == IVRCONF_OUTCOME_COMPLETED)
            continue; /* transferred: the server / the engine ends it */
        snprintf(id, sizeof id, "t%d-%d", t, n);
        if ((r = ivrconf_call_end(g.engine, id)) != IVRCONF_OK)
            api_error("call_end", id, r);
    }
    return NULL;
}

static void run_threads(void *(*fn)(void *)) {
    pthread_t th[THREADS];
    intptr_t t;
    for (t = 0; t < THREADS; t++)
        pthread_create(&th[t], NULL, fn, (void *)t);
    for (t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);
}

int main(void) {
    char server[64];
    ivrconf_sim *sim = ex_sim_start(server, sizeof server);
    ivrconf_config *cfg = ex_config_new(server);
    ivrconf_engine *e = NULL;
    struct timespec t0, t1;
    size_t i, bad = 0;

    pthread_mutex_init(&g.lock, NULL);
    ex_cond_init(&g.changed);
    /* Generous timers: under load nothing may time out. The simulator ends
     * transferred calls itself. */
    EX_CHECK(ivrconf_config_set(cfg, "request_timeout_ms", "10000"));
    EX_CHECK(ivrconf_config_set(cfg, "no_answer_timeout_ms", "10000"));
    EX_CHECK(ivrconf_sim_set(sim, "end_after_xfer", "endcall"));
    /* Every CallStatus is also sent for a call id nobody announced: the
     * engine must drop those (g.strangers stays 0). */
    EX_CHECK(ivrconf_sim_set(sim, "unknown_call_events", "1"));
    T_OK(ivrconf_engine_new(cfg, on_event, NULL, NULL, NULL, &e));
    ivrconf_config_free(cfg);
    T_OK(ivrconf_engine_wait_ready(e, EX_READY_TIMEOUT_MS));
    g.engine = e; /* before the threads start: they read it without the lock */

    clock_gettime(CLOCK_MONOTONIC, &t0);
    run_threads(worker);
    T_ASSERT(wait_count(&g.done, CALLS), "%zu of %d OPERATION_DONE within %u ms", g.done, CALLS, TIMEOUT_MS);
    run_threads(ender);
    T_ASSERT(wait_count(&g.ended, CALLS), "%zu of %d CALL_ENDED within %u ms", g.ended, CALLS, TIMEOUT_MS);
    clock_gettime(CLOCK_MONOTONIC, &t1);

    ivrconf_engine_free(e);
    /* The engine is gone: g is ours alone now. */
    for (i = 0; i < CALLS; i++) {
        const per_call *c = &g.calls[i];
        const struct plan *p = &plans[i % PLANS];
        uint32_t want_state = p->outcome != IVRCONF_OUTCOME_COMPLETED ? IVRCONF_CALL_STATE_ACTIVE
                              : p->transfer                          ? IVRCONF_CALL_STATE_TRANSFERRED
                                                                     : IVRCONF_CALL_STATE_CONFERENCED;
        if (c->op == 0 || c->done != 1 || c->done_op != c->op || c->outcome != p->outcome ||
            c->final_state != want_state || c->ended != 1 || c->after_end != 0) {
            if (bad++ < 10)
                fprintf(stderr,
                        "FAIL: call %zu (%s): op %llu, %d OPERATION_DONE (op %llu, %s, %s), "
                        "%d CALL_ENDED, %d events after it\n",
                        i, p->dest, (unsigned long long)c->op, c->done, (unsigned long long)c->done_op,
                        ex_outcome_name(c->outcome), ex_state_name(c->final_state), c->ended,
                        c->after_end);
        }
    }
    T_ASSERT(bad == 0, "%zu of %d calls broke a promise", bad, CALLS);
    T_ASSERT(g.strangers == 0, "%zu events for calls never announced", g.strangers);
    T_ASSERT(g.api_errors == 0, "%zu API calls failed", g.api_errors);
    printf("api_threads: %d calls on %d threads, ops and ends in %ld ms\n", CALLS, THREADS,
           (long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000));
    ivrconf_sim_free(sim);
    return t_finish("api_threads");
}

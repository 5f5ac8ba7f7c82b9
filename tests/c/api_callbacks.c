/*
 * api_callbacks.c -- what an application may do from inside a callback, and
 * the promises of ivrconf_engine_free (C-API.md "Engine"):
 *   1. re-entrant calls: from the event callback, call_state, call_can,
 *      call_new, a consult, its complete, call_end -- the engine must neither
 *      deadlock nor reorder; each op still gets exactly one OPERATION_DONE;
 *   2. the log callback runs too, and may call the API;
 *   3. engine_free from outside a callback, with ops in flight: their
 *      CANCELLED events are delivered before it returns, free_userdata runs
 *      exactly once, and no callback runs after it returns;
 *   4. engine_free from inside a callback: it returns at once; the CANCELLED
 *      events of the other ops follow after that callback returns, then
 *      free_userdata, exactly once, after the last callback.
 */
#define _POSIX_C_SOURCE 200809L
#include "api_test.h"

/* ---- 1 + 2: re-entrant calls ---------------------------------------------- */

typedef struct chain {
    ex_waiter w;              /* first: ex_on_event() gets a chain * */
    ivrconf_engine *engine;   /* set before any op starts */
    ivrconf_op_id first, second;
    int step_errors;          /* API calls from the callback that failed */
    int log_lines, log_reentry_errors;
} chain;

/* Errors are counted, not printed via T_*: t_failures belongs to main's thread. */
static void step(chain *c, ivrconf_result r, ivrconf_result want, const char *what) {
    if (r != want) {
        fprintf(stderr, "FAIL in callback: %s -> %s, expected %s (%s)\n", what,
                ivrconf_result_str(r), ivrconf_result_str(want), ivrconf_last_error());
        c->step_errors++;
    }
}

static void chain_on_event(void *userdata, const ivrconf_event *ev) {
    chain *c = (chain *)userdata;
    const char *id = ivrconf_event_call_id(ev);
    ivrconf_engine *e;
    ivrconf_op_id first, op = ivrconf_event_op_id(ev);
    uint32_t state = 0;

    pthread_mutex_lock(&c->w.lock);
    e = c->engine;
    first = c->first;
    pthread_mutex_unlock(&c->w.lock);

    if (id == NULL || strcmp(id, "r1") != 0) {
        /* not ours */
    } else if (ivrconf_event_kind(ev) == IVRCONF_EVENT_OPERATION_DONE && op == first) {
        /* The one-step conference to a busy number is over: ask about the
         * call, start a new call and a consult on this one, all from here. */
        step(c, ivrconf_call_state(e, "r1", &state), IVRCONF_OK, "call_state");
        if (state != IVRCONF_CALL_STATE_ACTIVE) {
            fprintf(stderr, "FAIL in callback: state %s after one-step BUSY\n", ex_state_name(state));
            c->step_errors++;
        }
        step(c, ivrconf_call_can(e, "r1", IVRCONF_OP_CONFERENCE_CONSULT), IVRCONF_OK, "call_can");
        step(c, ivrconf_call_new(e, "r2", "5000", NULL, NULL, NULL, 0), IVRCONF_OK, "call_new r2");
        step(c, ivrconf_conference_init(e, "r1", "6002", NULL, 0, &c->second), IVRCONF_OK,
             "conference_init");
        /* The consult just started is in flight (it waits for the
         * application once answered): a second op is refused. */
        step(c, ivrconf_conference_one_step(e, "r1", "6001", NULL, 0, &op),
             IVRCONF_ERR_OPERATION_PENDING, "second op");
    } else if (ivrconf_event_kind(ev) == IVRCONF_EVENT_CALL_STATUS &&
               ivrconf_event_status(ev) == IVRCONF_STATUS_ESTABLISHED) {
        step(c, ivrconf_conference_complete(e, "r1"), IVRCONF_OK, "conference_complete");
    } else if (ivrconf_event_kind(ev) == IVRCONF_EVENT_OPERATION_DONE && op == c->second) {
        /* The conference is made; end both calls from here. */
        step(c, ivrconf_call_end(e, "r2"), IVRCONF_OK, "call_end r2");
        step(c, ivrconf_call_state(e, "r2", &state), IVRCONF_ERR_UNKNOWN_CALL, "call_state r2");
        step(c, ivrconf_call_end(e, "r1"), IVRCONF_OK, "call_end r1");
    }
    ex_on_event(userdata, ev); /* record it and wake main */
}

static void chain_on_log(void *userdata, uint32_t level, const char *message) {
    chain *c = (chain *)userdata;
    ivrconf_engine *e;
    uint32_t state = 0;
    (void)level;
    (void)message;
    pthread_mutex_lock(&c->w.lock);
    e = c->engine; /* NULL while engine_new has not returned */
    c->log_lines++;
    pthread_mutex_unlock(&c->w.lock);
    /* Runs on the dispatcher thread like events: the API is usable here too. */
    if (e && ivrconf_call_state(e, "no-such-call", &state) != IVRCONF_ERR_UNKNOWN_CALL)
        c->log_reentry_errors++;
}

static void reentrant_calls(const char *server) {
    static chain c; /* static: zeroed, and it outlives the engine's threads */
    ivrconf_config *cfg = ex_config_new(server);
    ivrconf_engine *e = NULL;
    ex_event done, second;
    size_t i, n_done = 0;

    ex_waiter_init(&c.w, 0);
    EX_CHECK(ivrconf_config_set(cfg, "log_level", "debug"));
    /* Callbacks may run before engine_new returns (log lines): they read
     * c.engine under the lock and skip the API while it is NULL. */
    T_OK(ivrconf_engine_new(cfg, chain_on_event, chain_on_log, &c, ex_on_free, &e));
    ivrconf_config_free(cfg);
    pthread_mutex_lock(&c.w.lock);
    c.engine = e;
    pthread_mutex_unlock(&c.w.lock);
    T_OK(ivrconf_engine_wait_ready(c.engine, EX_READY_TIMEOUT_MS));
    T_OK(ivrconf_call_new(c.engine, "r1", "5000", NULL, NULL, NULL, 0));
    /* A one-step op to a busy number: BUSY, call unchanged. The lock makes
     * the callback see c.first even if the op ends before this returns. */
    pthread_mutex_lock(&c.w.lock);
    T_OK(ivrconf_conference_one_step(c.engine, "r1", "busy6001", NULL, 0, &c.first));
    pthread_mutex_unlock(&c.w.lock);

    done = ex_wait_done(&c.w, c.first);
    T_ASSERT(done.outcome == IVRCONF_OUTCOME_BUSY, "first op: %s", ex_outcome_name(done.outcome));
    ex_wait_ended(&c.w, "r1");
    ex_wait_ended(&c.w, "r2");
    second = ex_wait_done(&c.w, c.second);
    T_ASSERT(c.second != 0 && second.outcome == IVRCONF_OUTCOME_COMPLETED &&
                 second.call_state == IVRCONF_CALL_STATE_CONFERENCED,
             "op started in a callback: %s %s", ex_outcome_name(second.outcome),
             ex_state_name(second.call_state));

    ivrconf_engine_free(c.engine);
    T_ASSERT(c.step_errors == 0, "%d API calls from the callback failed", c.step_errors);
    T_ASSERT(c.log_lines > 0 && c.log_reentry_errors == 0,
             "log callback: %d lines, %d failed API calls", c.log_lines, c.log_reentry_errors);
    T_ASSERT(c.w.freed == 1, "free_userdata ran %d times", c.w.freed);
    for (i = 0; i < c.w.len; i++)
        n_done += c.w.events[i].kind == IVRCONF_EVENT_OPERATION_DONE;
    T_ASSERT(n_done == 2, "%zu OPERATION_DONE for 2 ops", n_done);
    ex_waiter_destroy(&c.w);
}

/* ---- 3 + 4: engine_free --------------------------------------------------------- */

typedef struct freeing {
    ex_waiter w;              /* first */
    ivrconf_engine *engine;
    ivrconf_op_id trigger;    /* free the engine from this op's OPERATION_DONE */
    int free_returned;        /* engine_free returned inside the callback */
    int after_free;           /* callbacks that ran after free_userdata */
    int in_callback;          /* a callback is running */
    int overlap;              /* free_userdata ran while a callback was running */
} freeing;

static void freeing_on_event(void *userdata, const ivrconf_event *ev) {
    freeing *f = (freeing *)userdata;
    ivrconf_op_id trigger;
    ivrconf_engine *engine;
    pthread_mutex_lock(&f->w.lock);
    if (f->w.freed)
        f->after_free++;
    f->in_callback = 1;
    trigger = f->trigger;
    engine = f->engine;
    pthread_mutex_unlock(&f->w.lock);

    ex_on_event(userdata, ev);
    if (trigger != 0 && ivrconf_event_kind(ev) == IVRCONF_EVENT_OPERATION_DONE &&
        ivrconf_event_op_id(ev) == trigger) {
        ivrconf_engine_free(engine); /* must return at once */
        pthread_mutex_lock(&f->w.lock);
        f->free_returned = 1;
        pthread_mutex_unlock(&f->w.lock);
    }

    pthread_mutex_lock(&f->w.lock);
    f->in_callback = 0;
    pthread_mutex_unlock(&f->w.lock);
}

static void freeing_on_free(void *userdata) {
    freeing *f = (freeing *)userdata;
    pthread_mutex_lock(&f->w.lock);
    if (f->in_callback)
        f->overlap++;
    pthread_mutex_unlock(&f->w.lock);
    ex_on_free(userdata);
}

/* Counts OPERATION_DONE events of `op` (0: all) and of `kind` events. */
static size_t count(ex_waiter *w, uint32_t kind, ivrconf_op_id op, uint32_t outcome) {
    size_t i, n = 0;
    pthread_mutex_lock(&w->lock);
    for (i = 0; i < w->len; i++)
        n += w->events[i].kind == kind && (op == 0 || w->events[i].op_id == op) &&
             (outcome == 0 || w->events[i].outcome == outcome);
    pthread_mutex_unlock(&w->lock);
    return n;
}

/* An engine with long timers on `f`, logged in to `server`. */
static void freeing_start(freeing *f, const char *server) {
    ivrconf_config *cfg = ex_config_new(server);
    ivrconf_engine *e = NULL;
    EX_CHECK(ivrconf_config_set(cfg, "no_answer_timeout_ms", "60000"));
    EX_CHECK(ivrconf_config_set(cfg, "request_timeout_ms", "60000"));
    ex_waiter_init(&f->w, 0);
    T_OK(ivrconf_engine_new(cfg, freeing_on_event, NULL, f, freeing_on_free, &e));
    ivrconf_config_free(cfg);
    pthread_mutex_lock(&f->w.lock); /* callbacks may already be running */
    f->engine = e;
    pthread_mutex_unlock(&f->w.lock);
    T_OK(ivrconf_engine_wait_ready(e, EX_READY_TIMEOUT_MS));
}

/* Starts two consults that stay in flight (never answered). */
static void two_pending_ops(ivrconf_engine *e, ivrconf_op_id *a, ivrconf_op_id *b) {
    T_OK(ivrconf_call_new(e, "p1", "5000", NULL, NULL, NULL, 0));
    T_OK(ivrconf_call_new(e, "p2", "5000", NULL, NULL, NULL, 0));
    T_OK(ivrconf_conference_init(e, "p1", "noanswer7001", NULL, 0, a));
    T_OK(ivrconf_transfer_init(e, "p2", "silent7002", NULL, 0, b));
}

static void free_from_outside(const char *server) {
    static freeing f;
    ivrconf_op_id a = 0, b = 0;
    freeing_start(&f, server);
    two_pending_ops(f.engine, &a, &b);

    ivrconf_engine_free(f.engine);
    /* Everything is settled when engine_free returns: no waiting. */
    T_ASSERT(f.w.freed == 1, "free_userdata ran %d times before engine_free returned", f.w.freed);
    T_ASSERT(count(&f.w, IVRCONF_EVENT_OPERATION_DONE, a, IVRCONF_OUTCOME_CANCELLED) == 1 &&
                 count(&f.w, IVRCONF_EVENT_OPERATION_DONE, b, IVRCONF_OUTCOME_CANCELLED) == 1,
             "each op in flight must end CANCELLED once before engine_free returns");
    T_ASSERT(count(&f.w, IVRCONF_EVENT_CALL_ENDED, 0, 0) == 0 &&
                 count(&f.w, IVRCONF_EVENT_SESSION_DOWN, 0, 0) == 0,
             "engine_free must not emit CALL_ENDED or SESSION_DOWN");
    T_ASSERT(f.after_free == 0 && f.overlap == 0, "callbacks after/while free_userdata: %d/%d",
             f.after_free, f.overlap);
    ex_waiter_destroy(&f.w);
}

static void free_from_inside(const char *server) {
    static freeing f;
    ivrconf_op_id a = 0, b = 0;
    struct timespec at;
    int freed;
    freeing_start(&f, server);
    two_pending_ops(f.engine, &a, &b);

    /* A third call whose op ends quickly; its OPERATION_DONE frees the engine. */
    T_OK(ivrconf_call_new(f.engine, "p3", "5000", NULL, NULL, NULL, 0));
    pthread_mutex_lock(&f.w.lock); /* the callback must see f.trigger set */
    T_OK(ivrconf_conference_one_step(f.engine, "p3", "6001", NULL, 0, &f.trigger));
    pthread_mutex_unlock(&f.w.lock);

    /* Wait for free_userdata: the only sign that the engine is gone. */
    ex_deadline(&at, EX_EVENT_TIMEOUT_MS);
    pthread_mutex_lock(&f.w.lock);
    while (f.w.freed == 0 && pthread_cond_timedwait(&f.w.changed, &f.w.lock, &at) != ETIMEDOUT)
        ;
    freed = f.w.freed;
    pthread_mutex_unlock(&f.w.lock);
    T_ASSERT(freed == 1, "free_userdata ran %d times", freed);
    T_ASSERT(f.free_returned, "engine_free inside a callback did not return");
    T_ASSERT(count(&f.w, IVRCONF_EVENT_OPERATION_DONE, f.trigger, IVRCONF_OUTCOME_COMPLETED) == 1,
             "the trigger op must complete once");
    T_ASSERT(count(&f.w, IVRCONF_EVENT_OPERATION_DONE, a, IVRCONF_OUTCOME_CANCELLED) == 1 &&
                 count(&f.w, IVRCONF_EVENT_OPERATION_DONE, b, IVRCONF_OUTCOME_CANCELLED) == 1,
             "the other ops must end CANCELLED once, before free_userdata");
    T_ASSERT(count(&f.w, IVRCONF_EVENT_OPERATION_DONE, 0, 0) == 3, "%zu OPERATION_DONE for 3 ops",
             count(&f.w, IVRCONF_EVENT_OPERATION_DONE, 0, 0));
    T_ASSERT(f.after_free == 0 && f.overlap == 0, "callbacks after/while free_userdata: %d/%d",
             f.after_free, f.overlap);
    /* f stays allocated (static): a late callback would be counted, not crash;
     * the process exit is the end of the observation. */
}

int main(void) {
    char server[64];
    ivrconf_sim *sim = ex_sim_start(server, sizeof server);
    reentrant_calls(server);
    free_from_outside(server);
    free_from_inside(server);
    ivrconf_sim_free(sim);
    return t_finish("api_callbacks");
}

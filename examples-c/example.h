/*
 * example.h -- the plumbing every example shares, kept apart so that each
 * example file shows only its call flow. Copy it along with the example.
 *
 * What it gives:
 *   - EX_CHECK(expr): stop the program when an ivrconf call fails, printing
 *     the result name and ivrconf_last_error() (the precise reason).
 *   - ex_sim_start(): the bundled IVR Server simulator on a free local port,
 *     and the "127.0.0.1:<port>" text to put in the engine's `server` key.
 *   - ex_config_new(): an engine configuration for that server with short
 *     timers, so that failure paths finish in well under a second.
 *   - ex_waiter: the userdata of callback mode. The engine calls
 *     ex_on_event() on its dispatcher thread; the callback copies the event
 *     (the event and its strings are only valid during the callback) and
 *     wakes the main thread, which waits with ex_wait_*() -- always with a
 *     timeout, so that a lost event fails the program instead of hanging it.
 *
 * Everything is `static` (functions `static inline`): include it from one .c file.
 * Build (C99 + POSIX threads):
 *   cc -std=c99 -Wall -Wextra -Werror -Iinclude -Iexamples-c prog.c \
 *      target/release/libivrconf.a -lpthread -ldl -lm
 */
#ifndef IVRCONF_EXAMPLE_H
#define IVRCONF_EXAMPLE_H

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ivrconf.h"

/* Timeouts of the examples' waits. Generous: they only matter when
 * something is broken, and then the program fails instead of hanging. */
#define EX_READY_TIMEOUT_MS 5000u
#define EX_EVENT_TIMEOUT_MS 5000u

#define EX_CHECK(expr)                                                        \
    do {                                                                      \
        ivrconf_result ex_r_ = (expr);                                        \
        if (ex_r_ != IVRCONF_OK) {                                            \
            fprintf(stderr, "%s:%d: %s -> %s (%s)\n", __FILE__, __LINE__,     \
                    #expr, ivrconf_result_str(ex_r_), ivrconf_last_error()); \
            exit(1);                                                          \
        }                                                                     \
    } while (0)

/* ---- names, for printing ------------------------------------------------ */

/* The library names every constant (ivrconf_outcome_str(IVRCONF_OUTCOME_BUSY)
 * is "IVRCONF_OUTCOME_BUSY"); the examples print the part after the set's
 * prefix ("BUSY"), and "-" for 0 (none). */
static inline const char *ex_short(const char *name, const char *prefix) {
    size_t n = strlen(prefix);
    if (name[0] == '\0')
        return "-";
    return strncmp(name, prefix, n) == 0 ? name + n : name;
}

static inline const char *ex_kind_name(uint32_t kind) {
    return ex_short(ivrconf_event_kind_str(kind), "IVRCONF_EVENT_");
}

static inline const char *ex_status_name(uint32_t status) {
    return ex_short(ivrconf_status_str(status), "IVRCONF_STATUS_");
}

static inline const char *ex_outcome_name(uint32_t outcome) {
    return ex_short(ivrconf_outcome_str(outcome), "IVRCONF_OUTCOME_");
}

static inline const char *ex_state_name(uint32_t state) {
    return ex_short(ivrconf_call_state_str(state), "IVRCONF_CALL_STATE_");
}

/* ---- a copy of one event ------------------------------------------------ */

typedef struct ex_event {
    uint32_t kind;
    char call_id[72]; /* "" for session events */
    ivrconf_op_id op_id;
    uint32_t op_kind;
    uint32_t status;
    uint32_t outcome;
    uint32_t failed_request;
    int32_t tlib_error;
    uint32_t call_state;
    uint32_t party_count;
    char text[256];
} ex_event;

static inline void ex_event_copy(const ivrconf_event *ev, ex_event *out) {
    const char *call_id = ivrconf_event_call_id(ev);
    memset(out, 0, sizeof *out);
    out->kind = ivrconf_event_kind(ev);
    snprintf(out->call_id, sizeof out->call_id, "%s", call_id ? call_id : "");
    out->op_id = ivrconf_event_op_id(ev);
    out->op_kind = ivrconf_event_op_kind(ev);
    out->status = ivrconf_event_status(ev);
    out->outcome = ivrconf_event_outcome(ev);
    out->failed_request = ivrconf_event_failed_request(ev);
    out->tlib_error = ivrconf_event_tlib_error(ev);
    out->call_state = ivrconf_event_call_state(ev);
    out->party_count = ivrconf_event_party_count(ev);
    snprintf(out->text, sizeof out->text, "%s", ivrconf_event_text(ev));
}

/* One line per event, the way an application might log them. */
static inline void ex_event_print(const ex_event *e) {
    switch (e->kind) {
    case IVRCONF_EVENT_CALL_STATUS:
        printf("  event CALL_STATUS    call=%s status=%s state=%s parties=%u\n",
               e->call_id, ex_status_name(e->status),
               ex_state_name(e->call_state), e->party_count);
        break;
    case IVRCONF_EVENT_OPERATION_DONE:
        printf("  event OPERATION_DONE call=%s op=%llu outcome=%s state=%s "
               "parties=%u failed_request=%u tlib_error=%d\n",
               e->call_id, (unsigned long long)e->op_id,
               ex_outcome_name(e->outcome), ex_state_name(e->call_state),
               e->party_count, e->failed_request, e->tlib_error);
        break;
    case IVRCONF_EVENT_CALL_ENDED:
        printf("  event CALL_ENDED     call=%s\n", e->call_id);
        break;
    default:
        printf("  event %-14s %s\n", ex_kind_name(e->kind), e->text);
        break;
    }
}

/* ---- the simulator and the engine configuration --------------------------- */

/* Starts the simulator on a free port of 127.0.0.1 and writes
 * "127.0.0.1:<port>" to `server` for the engine's `server` key. */
static inline ivrconf_sim *ex_sim_start(char *server, size_t server_len) {
    ivrconf_sim *sim = NULL;
    uint16_t port = 0;
    EX_CHECK(ivrconf_sim_new("127.0.0.1:0", &sim));
    EX_CHECK(ivrconf_sim_port(sim, &port));
    snprintf(server, server_len, "127.0.0.1:%u", (unsigned)port);
    return sim;
}

/* A configuration for `server` with the examples' short timers: a real
 * deployment keeps the defaults (10 s to react, 30 s to answer). */
static inline ivrconf_config *ex_config_new(const char *server) {
    ivrconf_config *cfg = NULL;
    EX_CHECK(ivrconf_config_new(&cfg));
    EX_CHECK(ivrconf_config_set(cfg, "server", server));
    EX_CHECK(ivrconf_config_set(cfg, "client_name", "IVR_01"));
    EX_CHECK(ivrconf_config_set(cfg, "request_timeout_ms", "500"));
    EX_CHECK(ivrconf_config_set(cfg, "no_answer_timeout_ms", "500"));
    EX_CHECK(ivrconf_config_set(cfg, "reconnect_min_ms", "50"));
    EX_CHECK(ivrconf_config_set(cfg, "reconnect_max_ms", "500"));
    return cfg;
}

/* ---- callback mode: the waiter ---------------------------------------------- */

typedef struct ex_waiter {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    ex_event *events; /* every event so far, in delivery order */
    size_t len, cap;
    int print;        /* print each event as it arrives */
    int freed;        /* free_userdata has run (counts runs) */
} ex_waiter;

/* A condition variable timed on the monotonic clock, like ex_deadline():
 * the waits must not jump with the wall clock. */
static inline void ex_cond_init(pthread_cond_t *cond) {
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(cond, &attr);
    pthread_condattr_destroy(&attr);
}

static inline void ex_waiter_init(ex_waiter *w, int print) {
    memset(w, 0, sizeof *w);
    pthread_mutex_init(&w->lock, NULL);
    ex_cond_init(&w->changed);
    w->print = print;
}

static inline void ex_waiter_destroy(ex_waiter *w) {
    free(w->events);
    pthread_cond_destroy(&w->changed);
    pthread_mutex_destroy(&w->lock);
}

/* The event callback (ivrconf_event_fn). Runs on the engine's dispatcher
 * thread: keep it short and never block in it for long -- the next event
 * waits for it to return. */
static inline void ex_on_event(void *userdata, const ivrconf_event *ev) {
    ex_waiter *w = (ex_waiter *)userdata;
    ex_event copy;
    ex_event_copy(ev, &copy);
    pthread_mutex_lock(&w->lock);
    if (w->len == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 64;
        ex_event *grown = (ex_event *)realloc(w->events, cap * sizeof *grown);
        if (grown == NULL) {
            pthread_mutex_unlock(&w->lock);
            fprintf(stderr, "out of memory\n");
            abort();
        }
        w->events = grown;
        w->cap = cap;
    }
    w->events[w->len++] = copy;
    if (w->print)
        ex_event_print(&copy);
    pthread_cond_broadcast(&w->changed);
    pthread_mutex_unlock(&w->lock);
}

/* free_userdata (ivrconf_free_fn): the engine calls it once, after the last
 * callback. The waiter lives in main()'s frame, so there is nothing to free
 * here; it records that the engine let go of it. */
static inline void ex_on_free(void *userdata) {
    ex_waiter *w = (ex_waiter *)userdata;
    pthread_mutex_lock(&w->lock);
    w->freed++;
    pthread_cond_broadcast(&w->changed);
    pthread_mutex_unlock(&w->lock);
}

/* What ex_wait() looks for; a 0 / NULL field matches anything. */
typedef struct ex_match {
    uint32_t kind;
    const char *call_id;
    ivrconf_op_id op_id;
    uint32_t status;
} ex_match;

static inline int ex_matches(const ex_event *e, const ex_match *m) {
    return (m->kind == 0 || e->kind == m->kind) &&
           (m->call_id == NULL || strcmp(e->call_id, m->call_id) == 0) &&
           (m->op_id == 0 || e->op_id == m->op_id) &&
           (m->status == 0 || e->status == m->status);
}

static inline void ex_deadline(struct timespec *at, uint32_t timeout_ms) {
    clock_gettime(CLOCK_MONOTONIC, at);
    at->tv_sec += timeout_ms / 1000u;
    at->tv_nsec += (long)(timeout_ms % 1000u) * 1000000L;
    if (at->tv_nsec >= 1000000000L) {
        at->tv_sec += 1;
        at->tv_nsec -= 1000000000L;
    }
}

/* Waits until an event matching `m` has arrived at index >= *from, copies
 * it to `out` (may be NULL) and sets *from just past it. Returns 1, or 0
 * after `timeout_ms` without one. */
static inline int ex_wait(ex_waiter *w, size_t *from, const ex_match *m,
                          uint32_t timeout_ms, ex_event *out) {
    struct timespec at;
    size_t i = *from;
    int found = 0, timed_out = 0;
    ex_deadline(&at, timeout_ms);
    pthread_mutex_lock(&w->lock);
    /* Look again after the timeout: the event may have come with it. */
    while (!found) {
        for (; i < w->len && !found; i++)
            found = ex_matches(&w->events[i], m);
        if (found || timed_out)
            break;
        timed_out = pthread_cond_timedwait(&w->changed, &w->lock, &at) == ETIMEDOUT;
    }
    if (found) {
        if (out)
            *out = w->events[i - 1];
        *from = i;
    }
    pthread_mutex_unlock(&w->lock);
    return found;
}

/* The OPERATION_DONE of `op`; exits the program if it does not come. */
static inline ex_event ex_wait_done(ex_waiter *w, ivrconf_op_id op) {
    ex_match m = {IVRCONF_EVENT_OPERATION_DONE, NULL, op, 0};
    ex_event e;
    size_t from = 0;
    if (!ex_wait(w, &from, &m, EX_EVENT_TIMEOUT_MS, &e)) {
        fprintf(stderr, "no OPERATION_DONE for op %llu within %u ms\n",
                (unsigned long long)op, EX_EVENT_TIMEOUT_MS);
        exit(1);
    }
    return e;
}

/* The first CALL_STATUS `status` of `call_id`; exits if it does not come. */
static inline void ex_wait_status(ex_waiter *w, const char *call_id, uint32_t status) {
    ex_match m = {IVRCONF_EVENT_CALL_STATUS, call_id, 0, status};
    size_t from = 0;
    if (!ex_wait(w, &from, &m, EX_EVENT_TIMEOUT_MS, NULL)) {
        fprintf(stderr, "no CallStatus %s for %s within %u ms\n",
                ex_status_name(status), call_id, EX_EVENT_TIMEOUT_MS);
        exit(1);
    }
}

/* The CALL_ENDED of `call_id`; exits if it does not come. */
static inline void ex_wait_ended(ex_waiter *w, const char *call_id) {
    ex_match m = {IVRCONF_EVENT_CALL_ENDED, call_id, 0, 0};
    size_t from = 0;
    if (!ex_wait(w, &from, &m, EX_EVENT_TIMEOUT_MS, NULL)) {
        fprintf(stderr, "no CALL_ENDED for %s within %u ms\n", call_id,
                EX_EVENT_TIMEOUT_MS);
        exit(1);
    }
}

/* Compares what the application saw with what the flow must give
 * (`parties` 0: the party count is not checked). */
static inline int ex_expect(const ex_event *done, uint32_t outcome, uint32_t state,
                     uint32_t parties) {
    if (done->outcome == outcome && done->call_state == state &&
        (parties == 0 || done->party_count == parties)) {
        printf("outcome %s, state %s, %u parties: as expected\n",
               ex_outcome_name(outcome), ex_state_name(state), done->party_count);
        return 1;
    }
    printf("UNEXPECTED: outcome %s state %s parties %u (expected %s %s %u)\n",
           ex_outcome_name(done->outcome), ex_state_name(done->call_state),
           done->party_count, ex_outcome_name(outcome), ex_state_name(state),
           parties);
    return 0;
}

#endif /* IVRCONF_EXAMPLE_H */

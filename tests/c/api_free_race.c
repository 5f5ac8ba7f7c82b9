/*
 * ivrconf_engine_free while other threads are still inside the engine: a
 * reader blocked in ivrconf_engine_next_event and a waiter blocked in
 * ivrconf_engine_wait_ready are woken (IVRCONF_ERR_SHUT_DOWN) and have left
 * before free releases the handle, and free does not wait out their
 * timeouts.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "api_test.h"

typedef struct blocked {
    ivrconf_engine *engine;
    int which; /* 0: next_event, 1: wait_ready */
    ivrconf_result got;
} blocked;

static void *block_in_engine(void *arg) {
    blocked *b = arg;
    if (b->which == 0) {
        ivrconf_event *ev = NULL;
        /* Read until the queue is empty and stays empty for 30 s... */
        do {
            b->got = ivrconf_engine_next_event(b->engine, 30000, &ev);
            if (b->got == IVRCONF_OK)
                ivrconf_event_free(ev);
        } while (b->got == IVRCONF_OK);
    } else {
        b->got = ivrconf_engine_wait_ready(b->engine, 30000);
    }
    return NULL;
}

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(void) {
    char unused[64];
    char closed[64];
    ivrconf_sim *sim = ex_sim_start(unused, sizeof unused);
    /* A server nobody answers: wait_ready blocks for its whole timeout. */
    snprintf(closed, sizeof closed, "127.0.0.1:1");
    for (int round = 0; round < 10; round++) {
        ivrconf_config *cfg = ex_config_new(closed);
        ivrconf_engine *e = NULL;
        blocked reader = {0}, waiter = {0};
        pthread_t tr, tw;
        double started, took;
        T_OK(ivrconf_engine_new(cfg, NULL, NULL, NULL, NULL, &e));
        ivrconf_config_free(cfg);
        reader.engine = waiter.engine = e;
        waiter.which = 1;
        pthread_create(&tr, NULL, block_in_engine, &reader);
        pthread_create(&tw, NULL, block_in_engine, &waiter);
        /* A call must have begun before free (calling a freed handle is the
         * application's bug): give both threads time to get in and block.
         * This sleep only orders the test; nothing waits on it for a result. */
        {
            struct timespec pause = {0, 50 * 1000 * 1000};
            nanosleep(&pause, NULL);
        }
        started = now_s();
        ivrconf_engine_free(e);
        took = now_s() - started;
        pthread_join(tr, NULL);
        pthread_join(tw, NULL);
        T_ASSERT(took < 5.0, "round %d: free took %.1f s (it must not wait out the 30 s timeouts)", round, took);
        T_ASSERT(reader.got == IVRCONF_ERR_SHUT_DOWN, "round %d: blocked next_event got %s", round,
                 ivrconf_result_str(reader.got));
        T_ASSERT(waiter.got == IVRCONF_ERR_SHUT_DOWN, "round %d: blocked wait_ready got %s", round,
                 ivrconf_result_str(waiter.got));
    }
    ivrconf_sim_free(sim);
    return t_finish("api_free_race");
}

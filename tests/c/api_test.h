/*
 * api_test.h -- checks shared by the C API test programs (tests/c/api_*.c).
 *
 * Each program counts failed checks and exits non-zero when any failed,
 * printing one line per failure (file, line, expression, what came back and
 * ivrconf_last_error()). Waiting is done with the waiter of
 * examples-c/example.h: condition variables with timeouts, never sleeps.
 */
#ifndef IVRCONF_API_TEST_H
#define IVRCONF_API_TEST_H

#include <stdarg.h>

#include "example.h"

static int t_failures;
static int t_checks;

static inline void t_fail(const char *file, int line, const char *fmt, ...) {
    va_list ap;
    t_failures++;
    fprintf(stderr, "FAIL %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* `expr` must return result `code`. */
#define T_RESULT(expr, code)                                                    \
    do {                                                                        \
        ivrconf_result t_got_ = (expr), t_want_ = (code);                       \
        t_checks++;                                                             \
        if (t_got_ != t_want_)                                                  \
            t_fail(__FILE__, __LINE__, "%s -> %s, expected %s (last error: %s)", \
                   #expr, ivrconf_result_str(t_got_), ivrconf_result_str(t_want_), \
                   ivrconf_last_error());                                       \
    } while (0)

#define T_OK(expr) T_RESULT(expr, IVRCONF_OK)

/* `expr` must return `code`, and ivrconf_last_error() must be set and
 * mention `word` ("": any text). */
#define T_REFUSED(expr, code, word)                                             \
    do {                                                                        \
        T_RESULT(expr, code);                                                   \
        t_checks++;                                                             \
        if (ivrconf_last_error()[0] == '\0' ||                                  \
            strstr(ivrconf_last_error(), (word)) == NULL)                       \
            t_fail(__FILE__, __LINE__, "%s: last error \"%s\" does not name \"%s\"", \
                   #expr, ivrconf_last_error(), (word));                        \
    } while (0)

#define T_ASSERT(cond, ...)                                                     \
    do {                                                                        \
        t_checks++;                                                             \
        if (!(cond))                                                            \
            t_fail(__FILE__, __LINE__, __VA_ARGS__);                            \
    } while (0)

/* The exit status of a test program, after a summary line. */
static inline int t_finish(const char *name) {
    if (t_failures) {
        printf("%s: %d of %d checks FAILED\n", name, t_failures, t_checks);
        return 1;
    }
    printf("%s: all %d checks passed\n", name, t_checks);
    return 0;
}

/* An engine in callback mode on `waiter`, logged in to `server`, with the
 * short timers of ex_config_new() changed by the key, value, ... pairs that
 * follow (ended by NULL). */
static inline ivrconf_engine *t_engine(const char *server, ex_waiter *waiter, ...) {
    ivrconf_config *cfg = ex_config_new(server);
    ivrconf_engine *e = NULL;
    const char *key;
    va_list ap;
    va_start(ap, waiter);
    while ((key = va_arg(ap, const char *)) != NULL) {
        const char *value = va_arg(ap, const char *);
        EX_CHECK(ivrconf_config_set(cfg, key, value));
    }
    va_end(ap);
    EX_CHECK(ivrconf_engine_new(cfg, ex_on_event, NULL, waiter, ex_on_free, &e));
    ivrconf_config_free(cfg);
    EX_CHECK(ivrconf_engine_wait_ready(e, EX_READY_TIMEOUT_MS));
    return e;
}

#endif /* IVRCONF_API_TEST_H */

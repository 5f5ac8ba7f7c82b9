/*
 * api_refusals.c -- every refusal code of the C API (C-API.md
 * "Conventions", "Details that tests rely on", FLOWS.md M2), and that a
 * refused call changes nothing:
 *   - result names, last-error texts (thread-local), free(NULL) no-ops,
 *     event accessors on NULL;
 *   - NULL for every pointer parameter; invalid UTF-8, text outside Latin-1,
 *     control characters, over-long call ids; unknown op kinds;
 *   - config keys and values (unknown key, bad values naming the key),
 *     IVRCONF_ERR_CONFIG from engine_new;
 *   - UNKNOWN_CALL, CALL_EXISTS, NOT_CONNECTED, OPERATION_PENDING,
 *     INVALID_STATE, TIMEOUT, IO, and the precedence between them;
 *   - the same for the 0.2 functions (userdata, clone, stats, log level).
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api_test.h"

#define BAD_UTF8 "\xff\xfe"
#define EURO "\xe2\x82\xac"  /* U+20AC: UTF-8, not Latin-1 */
#define E_ACUTE "\xc3\xa9"   /* U+00E9: Latin-1 */

static const ivrconf_kv good_kv[] = {{"k", "v"}};

/* ---- no engine needed ------------------------------------------------------ */

static void result_names(void) {
    static const char *const names[] = {
        "IVRCONF_OK", "IVRCONF_ERR_NULL_ARGUMENT", "IVRCONF_ERR_INVALID_ARGUMENT",
        "IVRCONF_ERR_UNKNOWN_KEY", "IVRCONF_ERR_CONFIG", "IVRCONF_ERR_UNKNOWN_CALL",
        "IVRCONF_ERR_CALL_EXISTS", "IVRCONF_ERR_NOT_CONNECTED",
        "IVRCONF_ERR_OPERATION_PENDING", "IVRCONF_ERR_INVALID_STATE",
        "IVRCONF_ERR_TIMEOUT", "IVRCONF_ERR_SHUT_DOWN", "IVRCONF_ERR_PANIC",
        "IVRCONF_ERR_IO"};
    const uint32_t codes[] = {
        IVRCONF_OK, IVRCONF_ERR_NULL_ARGUMENT, IVRCONF_ERR_INVALID_ARGUMENT,
        IVRCONF_ERR_UNKNOWN_KEY, IVRCONF_ERR_CONFIG, IVRCONF_ERR_UNKNOWN_CALL,
        IVRCONF_ERR_CALL_EXISTS, IVRCONF_ERR_NOT_CONNECTED,
        IVRCONF_ERR_OPERATION_PENDING, IVRCONF_ERR_INVALID_STATE,
        IVRCONF_ERR_TIMEOUT, IVRCONF_ERR_SHUT_DOWN, IVRCONF_ERR_PANIC, IVRCONF_ERR_IO};
    size_t i;
    for (i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        const char *got = ivrconf_result_str(codes[i]);
        T_ASSERT(got && strcmp(got, names[i]) == 0, "result_str(%u) = %s, expected %s",
                 codes[i], got ? got : "(null)", names[i]);
    }
    T_ASSERT(strcmp(ivrconf_result_str(14), "IVRCONF_ERR_UNKNOWN") == 0, "result_str(14)");
    T_ASSERT(strcmp(ivrconf_result_str(0xFFFFFFFFu), "IVRCONF_ERR_UNKNOWN") == 0,
             "result_str(UINT32_MAX)");
}

static void null_event_accessors(void) {
    T_ASSERT(ivrconf_event_kind(NULL) == 0, "event_kind(NULL)");
    T_ASSERT(ivrconf_event_call_id(NULL) == NULL, "event_call_id(NULL)");
    T_ASSERT(ivrconf_event_op_id(NULL) == 0, "event_op_id(NULL)");
    T_ASSERT(ivrconf_event_op_kind(NULL) == 0, "event_op_kind(NULL)");
    T_ASSERT(ivrconf_event_status(NULL) == 0, "event_status(NULL)");
    T_ASSERT(ivrconf_event_outcome(NULL) == 0, "event_outcome(NULL)");
    T_ASSERT(ivrconf_event_failed_request(NULL) == 0, "event_failed_request(NULL)");
    T_ASSERT(ivrconf_event_tlib_error(NULL) == -1, "event_tlib_error(NULL)");
    T_ASSERT(ivrconf_event_call_state(NULL) == 0, "event_call_state(NULL)");
    T_ASSERT(ivrconf_event_party_count(NULL) == 0, "event_party_count(NULL)");
    T_ASSERT(ivrconf_event_text(NULL) != NULL && ivrconf_event_text(NULL)[0] == '\0',
             "event_text(NULL) must be \"\"");
    T_ASSERT(ivrconf_event_call_userdata(NULL) == NULL, "event_call_userdata(NULL)");
    {
        ivrconf_event *copy = NULL;
        T_REFUSED(ivrconf_event_clone(NULL, &copy), IVRCONF_ERR_NULL_ARGUMENT, "event");
        T_ASSERT(copy == NULL, "a refused clone wrote its out-parameter");
    }
}

static void free_null(void) {
    /* Each must simply return. */
    ivrconf_config_free(NULL);
    ivrconf_engine_free(NULL);
    ivrconf_event_free(NULL);
    ivrconf_sim_free(NULL);
    t_checks++;
}

/* Runs on a second thread: sees an empty last error, then fails itself. */
static void *other_thread(void *arg) {
    int *was_empty = (int *)arg;
    *was_empty = ivrconf_last_error()[0] == '\0';
    (void)ivrconf_config_new(NULL);
    return NULL;
}

/* last_error is per thread: a failure on one thread is not seen on another. */
static void last_error_is_thread_local(void) {
    ivrconf_config *cfg = NULL;
    int was_empty = 0;
    char mine[256];
    pthread_t t;
    T_OK(ivrconf_config_new(&cfg));
    T_REFUSED(ivrconf_config_set(cfg, "no_such_key", "1"), IVRCONF_ERR_UNKNOWN_KEY, "no_such_key");
    snprintf(mine, sizeof mine, "%s", ivrconf_last_error());
    pthread_create(&t, NULL, other_thread, &was_empty);
    pthread_join(t, NULL);
    T_ASSERT(was_empty, "a new thread must start with an empty last error");
    T_ASSERT(strcmp(ivrconf_last_error(), mine) == 0,
             "another thread's failure changed this thread's last error: \"%s\"",
             ivrconf_last_error());
    ivrconf_config_free(cfg);
}

static void config_refusals(void) {
    static const char *const ms_keys[] = {
        "connect_timeout_ms",  "reconnect_min_ms",     "reconnect_max_ms",
        "request_timeout_ms",  "no_answer_timeout_ms", "keepalive_interval_ms",
        "keepalive_timeout_ms"};
    static const char *const bad_ms[] = {"-1", "", "abc", "12ms", "2147483648", "1.5"};
    ivrconf_config *cfg = NULL;
    size_t i, j;

    T_RESULT(ivrconf_config_new(NULL), IVRCONF_ERR_NULL_ARGUMENT);
    T_OK(ivrconf_config_new(&cfg));
    T_RESULT(ivrconf_config_set(NULL, "server", "127.0.0.1:1"), IVRCONF_ERR_NULL_ARGUMENT);
    T_RESULT(ivrconf_config_set(cfg, NULL, "127.0.0.1:1"), IVRCONF_ERR_NULL_ARGUMENT);
    T_RESULT(ivrconf_config_set(cfg, "server", NULL), IVRCONF_ERR_NULL_ARGUMENT);
    /* NULL_ARGUMENT comes before INVALID_ARGUMENT and UNKNOWN_KEY. */
    T_RESULT(ivrconf_config_set(cfg, BAD_UTF8, NULL), IVRCONF_ERR_NULL_ARGUMENT);

    T_REFUSED(ivrconf_config_set(cfg, "no_such_key", "1"), IVRCONF_ERR_UNKNOWN_KEY, "no_such_key");
    T_RESULT(ivrconf_config_set(cfg, BAD_UTF8, "1"), IVRCONF_ERR_INVALID_ARGUMENT);

    T_REFUSED(ivrconf_config_set(cfg, "server", "host:notaport"), IVRCONF_ERR_INVALID_ARGUMENT, "server");
    T_REFUSED(ivrconf_config_set(cfg, "server", "127.0.0.1"), IVRCONF_ERR_INVALID_ARGUMENT, "server");
    T_REFUSED(ivrconf_config_set(cfg, "server", "127.0.0.1:70000"), IVRCONF_ERR_INVALID_ARGUMENT, "server");
    T_REFUSED(ivrconf_config_set(cfg, "server", ""), IVRCONF_ERR_INVALID_ARGUMENT, "server");
    T_REFUSED(ivrconf_config_set(cfg, "server", BAD_UTF8 ":1"), IVRCONF_ERR_INVALID_ARGUMENT, "UTF-8");

    for (i = 0; i < sizeof ms_keys / sizeof ms_keys[0]; i++) {
        for (j = 0; j < sizeof bad_ms / sizeof bad_ms[0]; j++)
            T_REFUSED(ivrconf_config_set(cfg, ms_keys[i], bad_ms[j]),
                      IVRCONF_ERR_INVALID_ARGUMENT, ms_keys[i]);
        T_OK(ivrconf_config_set(cfg, ms_keys[i], "1"));
        T_OK(ivrconf_config_set(cfg, ms_keys[i], "2147483647"));
        /* 0 means "off" for the keep-alive keys only. */
        if (strncmp(ms_keys[i], "keepalive_", 10) == 0)
            T_OK(ivrconf_config_set(cfg, ms_keys[i], "0"));
        else
            T_REFUSED(ivrconf_config_set(cfg, ms_keys[i], "0"), IVRCONF_ERR_INVALID_ARGUMENT, ms_keys[i]);
    }

    T_REFUSED(ivrconf_config_set(cfg, "log_level", "verbose"), IVRCONF_ERR_INVALID_ARGUMENT, "log_level");
    T_REFUSED(ivrconf_config_set(cfg, "log_level", ""), IVRCONF_ERR_INVALID_ARGUMENT, "log_level");
    for (i = 0; i < 5; i++) {
        static const char *const levels[] = {"error", "warn", "info", "debug", "trace"};
        T_OK(ivrconf_config_set(cfg, "log_level", levels[i]));
    }
    T_REFUSED(ivrconf_config_set(cfg, "send_req_id", "maybe"), IVRCONF_ERR_INVALID_ARGUMENT, "send_req_id");
    T_OK(ivrconf_config_set(cfg, "send_req_id", "TRUE"));
    T_OK(ivrconf_config_set(cfg, "send_req_id", "False"));
    /* report_status / server_monitor are attribute texts; empty leaves the
     * attribute out. */
    T_OK(ivrconf_config_set(cfg, "report_status", ""));
    T_OK(ivrconf_config_set(cfg, "server_monitor", "set"));
    T_REFUSED(ivrconf_config_set(cfg, "server_monitor", "x" EURO), IVRCONF_ERR_INVALID_ARGUMENT, "server_monitor");

    /* Text keys: Latin-1 only, no control characters. */
    T_REFUSED(ivrconf_config_set(cfg, "client_name", "IVR" EURO), IVRCONF_ERR_INVALID_ARGUMENT, "client_name");
    T_REFUSED(ivrconf_config_set(cfg, "client_name", "IVR\x01"), IVRCONF_ERR_INVALID_ARGUMENT, "client_name");
    T_REFUSED(ivrconf_config_set(cfg, "client_name", BAD_UTF8), IVRCONF_ERR_INVALID_ARGUMENT, "UTF-8");
    T_OK(ivrconf_config_set(cfg, "client_name", "IVR_" E_ACUTE));
    ivrconf_config_free(cfg);
}

static void engine_new_refusals(void) {
    ivrconf_config *cfg = NULL;
    ivrconf_engine *e = NULL;
    ex_waiter w;
    ex_waiter_init(&w, 0);

    T_OK(ivrconf_config_new(&cfg));
    T_RESULT(ivrconf_engine_new(NULL, ex_on_event, NULL, &w, ex_on_free, &e), IVRCONF_ERR_NULL_ARGUMENT);
    T_RESULT(ivrconf_engine_new(cfg, ex_on_event, NULL, &w, ex_on_free, NULL), IVRCONF_ERR_NULL_ARGUMENT);
    /* Neither server nor client_name. */
    T_REFUSED(ivrconf_engine_new(cfg, ex_on_event, NULL, &w, ex_on_free, &e), IVRCONF_ERR_CONFIG, "");
    T_OK(ivrconf_config_set(cfg, "client_name", "IVR_01"));
    T_REFUSED(ivrconf_engine_new(cfg, ex_on_event, NULL, &w, ex_on_free, &e), IVRCONF_ERR_CONFIG, "server");
    ivrconf_config_free(cfg);

    T_OK(ivrconf_config_new(&cfg));
    T_OK(ivrconf_config_set(cfg, "server", "127.0.0.1:1"));
    T_REFUSED(ivrconf_engine_new(cfg, ex_on_event, NULL, &w, ex_on_free, &e), IVRCONF_ERR_CONFIG, "client_name");
    T_OK(ivrconf_config_set(cfg, "client_name", "IVR_01"));
    T_OK(ivrconf_config_set(cfg, "reconnect_min_ms", "1000"));
    T_OK(ivrconf_config_set(cfg, "reconnect_max_ms", "999"));
    T_REFUSED(ivrconf_engine_new(cfg, ex_on_event, NULL, &w, ex_on_free, &e), IVRCONF_ERR_CONFIG, "reconnect_m");
    T_ASSERT(e == NULL, "a refused engine_new wrote its out-parameter");
    T_ASSERT(w.freed == 0, "a refused engine_new ran free_userdata");
    ivrconf_config_free(cfg);
    ex_waiter_destroy(&w);
}

/* Every function taking an engine, given NULL. */
static void null_engine(void) {
    ivrconf_op_id op = 0;
    uint32_t state = 0;
    ivrconf_event *ev = NULL;
    T_RESULT(ivrconf_engine_wait_ready(NULL, 10), IVRCONF_ERR_NULL_ARGUMENT);
    T_RESULT(ivrconf_engine_shutdown(NULL), IVRCONF_ERR_NULL_ARGUMENT);
    T_RESULT(ivrconf_engine_next_event(NULL, 10, &ev), IVRCONF_ERR_NULL_ARGUMENT);
    T_RESULT(ivrconf_call_new(NULL, "c", "5000", NULL, NULL, NULL, 0), IVRCONF_ERR_NULL_ARGUMENT);
    T_RESULT(ivrconf_call_end(NULL, "c"), IVRCONF_ERR_NULL_ARGUMENT);
    T_RESULT(ivrconf_call_state(NULL, "c", &state), IVRCONF_ERR_NULL_ARGUMENT);
    T_RESULT(ivrconf_call_can(NULL, "c", IVRCONF_OP_CONFERENCE_ONE_STEP), IVRCONF_ERR_NULL_ARGUMENT);
    T_RESULT(ivrconf_conference_one_step(NULL, "c", "6001", NULL, 0, &op), IVRCONF_ERR_NULL_ARGUMENT);
    T_RESULT(ivrconf_conference_init(NULL, "c", "6001", NULL, 0, &op), IVRCONF_ERR_NULL_ARGUMENT);
    T_RESULT(ivrconf_conference_complete(NULL, "c"), IVRCONF_ERR_NULL_ARGUMENT);
    T_RESULT(ivrconf_transfer_one_step(NULL, "c", "6001", NULL, 0, &op), IVRCONF_ERR_NULL_ARGUMENT);
    T_RESULT(ivrconf_transfer_init(NULL, "c", "6001", NULL, 0, &op), IVRCONF_ERR_NULL_ARGUMENT);
    T_RESULT(ivrconf_transfer_complete(NULL, "c"), IVRCONF_ERR_NULL_ARGUMENT);
    T_RESULT(ivrconf_consult_cancel(NULL, "c"), IVRCONF_ERR_NULL_ARGUMENT);
    T_RESULT(ivrconf_call_set_userdata(NULL, "c", &op), IVRCONF_ERR_NULL_ARGUMENT);
    T_RESULT(ivrconf_engine_set_log_level(NULL, IVRCONF_LOG_INFO), IVRCONF_ERR_NULL_ARGUMENT);
    {
        ivrconf_stats stats;
        memset(&stats, 0, sizeof stats);
        stats.struct_size = sizeof stats;
        T_REFUSED(ivrconf_engine_stats(NULL, &stats), IVRCONF_ERR_NULL_ARGUMENT, "engine");
        T_ASSERT(stats.struct_size == sizeof stats && stats.logins == 0,
                 "a refused engine_stats wrote its out-parameter");
    }
    T_ASSERT(op == 0 && state == 0 && ev == NULL, "a refused call wrote an out-parameter");
}

static void sim_refusals(void) {
    ivrconf_sim *sim = NULL, *other = NULL;
    uint16_t port = 0;
    uint64_t count = 0;
    char listen[64];
    T_RESULT(ivrconf_sim_new(NULL, &sim), IVRCONF_ERR_NULL_ARGUMENT);
    T_RESULT(ivrconf_sim_new("127.0.0.1:0", NULL), IVRCONF_ERR_NULL_ARGUMENT);
    T_RESULT(ivrconf_sim_new("not an address", &sim), IVRCONF_ERR_INVALID_ARGUMENT);
    T_OK(ivrconf_sim_new("127.0.0.1:0", &sim));
    T_RESULT(ivrconf_sim_port(NULL, &port), IVRCONF_ERR_NULL_ARGUMENT);
    T_RESULT(ivrconf_sim_port(sim, NULL), IVRCONF_ERR_NULL_ARGUMENT);
    T_OK(ivrconf_sim_port(sim, &port));
    /* The port is taken: a second simulator on it is an OS error. */
    snprintf(listen, sizeof listen, "127.0.0.1:%u", (unsigned)port);
    T_RESULT(ivrconf_sim_new(listen, &other), IVRCONF_ERR_IO);
    T_ASSERT(other == NULL, "a refused sim_new wrote its out-parameter");
    T_RESULT(ivrconf_sim_set(NULL, "slow_ms", "1"), IVRCONF_ERR_NULL_ARGUMENT);
    T_RESULT(ivrconf_sim_set(sim, NULL, "1"), IVRCONF_ERR_NULL_ARGUMENT);
    T_RESULT(ivrconf_sim_set(sim, "slow_ms", NULL), IVRCONF_ERR_NULL_ARGUMENT);
    T_RESULT(ivrconf_sim_set(sim, "no_such_key", "1"), IVRCONF_ERR_UNKNOWN_KEY);
    T_REFUSED(ivrconf_sim_set(sim, "slow_ms", "soon"), IVRCONF_ERR_INVALID_ARGUMENT, "slow_ms");
    T_RESULT(ivrconf_sim_received_count(NULL, NULL, &count), IVRCONF_ERR_NULL_ARGUMENT);
    T_RESULT(ivrconf_sim_received_count(sim, NULL, NULL), IVRCONF_ERR_NULL_ARGUMENT);
    T_OK(ivrconf_sim_received_count(sim, NULL, &count));
    T_ASSERT(count == 0, "a fresh simulator received %llu messages", (unsigned long long)count);
    ivrconf_sim_free(sim);
}

/* A local port nobody listens on: bound, then closed. */
static unsigned closed_port(void) {
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        perror("closed_port");
        exit(1);
    }
    close(fd);
    return ntohs(a.sin_port);
}

/* An engine that can never log in: NOT_CONNECTED, TIMEOUT. */
static void never_connected(void) {
    char server[64];
    ivrconf_config *cfg;
    ivrconf_engine *e = NULL;
    ex_waiter w;
    ivrconf_op_id op = 0;
    uint32_t state = 0;

    snprintf(server, sizeof server, "127.0.0.1:%u", closed_port());
    cfg = ex_config_new(server);
    ex_waiter_init(&w, 0);
    T_OK(ivrconf_engine_new(cfg, ex_on_event, NULL, &w, ex_on_free, &e));
    ivrconf_config_free(cfg);
    T_RESULT(ivrconf_engine_wait_ready(e, 100), IVRCONF_ERR_TIMEOUT);
    T_REFUSED(ivrconf_call_new(e, "c1", "5000", NULL, NULL, NULL, 0), IVRCONF_ERR_NOT_CONNECTED, "");
    /* userdata needs a live call, whatever the session state. */
    T_REFUSED(ivrconf_call_set_userdata(e, "c1", &op), IVRCONF_ERR_UNKNOWN_CALL, "c1");
    /* Argument checks come before the connection check ... */
    T_RESULT(ivrconf_call_new(e, "c1", "5000" EURO, NULL, NULL, NULL, 0), IVRCONF_ERR_INVALID_ARGUMENT);
    T_RESULT(ivrconf_call_new(e, NULL, "5000", NULL, NULL, NULL, 0), IVRCONF_ERR_NULL_ARGUMENT);
    /* ... and so does the call lookup. */
    T_RESULT(ivrconf_conference_one_step(e, "c1", "6001", NULL, 0, &op), IVRCONF_ERR_UNKNOWN_CALL);
    T_RESULT(ivrconf_call_can(e, "c1", IVRCONF_OP_CONFERENCE_ONE_STEP), IVRCONF_ERR_UNKNOWN_CALL);
    T_RESULT(ivrconf_call_state(e, "c1", &state), IVRCONF_ERR_UNKNOWN_CALL);
    T_RESULT(ivrconf_call_end(e, "c1"), IVRCONF_ERR_UNKNOWN_CALL);
    ivrconf_engine_free(e);
    T_ASSERT(w.freed == 1, "free_userdata ran %d times", w.freed);
    ex_waiter_destroy(&w);
}

/* ---- against the simulator --------------------------------------------------- */

/* The argument checks of the functions that take a call id. */
static void call_argument_refusals(ivrconf_engine *e) {
    char long_id[66], max_id[65];
    ivrconf_kv null_key[] = {{NULL, "v"}}, null_value[] = {{"k", NULL}};
    ivrconf_kv euro_value[] = {{"k", EURO}}, bad_key[] = {{BAD_UTF8, "v"}};
    ivrconf_op_id op = 0;
    uint32_t state = 0;

    memset(long_id, 'a', 65);
    long_id[65] = '\0';
    memset(max_id, 'b', 64);
    max_id[64] = '\0';

    /* call_new */
    T_RESULT(ivrconf_call_new(e, NULL, "5000", NULL, NULL, NULL, 0), IVRCONF_ERR_NULL_ARGUMENT);
    T_RESULT(ivrconf_call_new(e, "n1", NULL, NULL, NULL, NULL, 0), IVRCONF_ERR_NULL_ARGUMENT);
    T_RESULT(ivrconf_call_new(e, "n1", "5000", NULL, NULL, NULL, 1), IVRCONF_ERR_NULL_ARGUMENT);
    T_RESULT(ivrconf_call_new(e, "n1", "5000", NULL, NULL, null_key, 1), IVRCONF_ERR_NULL_ARGUMENT);
    T_RESULT(ivrconf_call_new(e, "n1", "5000", NULL, NULL, null_value, 1), IVRCONF_ERR_NULL_ARGUMENT);
    T_RESULT(ivrconf_call_new(e, BAD_UTF8, "5000", NULL, NULL, NULL, 0), IVRCONF_ERR_INVALID_ARGUMENT);
    T_RESULT(ivrconf_call_new(e, "n1", BAD_UTF8, NULL, NULL, NULL, 0), IVRCONF_ERR_INVALID_ARGUMENT);
    T_RESULT(ivrconf_call_new(e, "n1", "5000", BAD_UTF8, NULL, NULL, 0), IVRCONF_ERR_INVALID_ARGUMENT);
    T_RESULT(ivrconf_call_new(e, "n1", "5000", NULL, BAD_UTF8, NULL, 0), IVRCONF_ERR_INVALID_ARGUMENT);
    T_RESULT(ivrconf_call_new(e, "n1", "5000", NULL, NULL, bad_key, 1), IVRCONF_ERR_INVALID_ARGUMENT);
    T_RESULT(ivrconf_call_new(e, "n" EURO, "5000", NULL, NULL, NULL, 0), IVRCONF_ERR_INVALID_ARGUMENT);
    T_RESULT(ivrconf_call_new(e, "n1", "5000" EURO, NULL, NULL, NULL, 0), IVRCONF_ERR_INVALID_ARGUMENT);
    T_RESULT(ivrconf_call_new(e, "n1", "5000", EURO, NULL, NULL, 0), IVRCONF_ERR_INVALID_ARGUMENT);
    T_RESULT(ivrconf_call_new(e, "n1", "5000", NULL, NULL, euro_value, 1), IVRCONF_ERR_INVALID_ARGUMENT);
    T_RESULT(ivrconf_call_new(e, "n\t1", "5000", NULL, NULL, NULL, 0), IVRCONF_ERR_INVALID_ARGUMENT);
    T_RESULT(ivrconf_call_new(e, "", "5000", NULL, NULL, NULL, 0), IVRCONF_ERR_INVALID_ARGUMENT);
    T_REFUSED(ivrconf_call_new(e, long_id, "5000", NULL, NULL, NULL, 0), IVRCONF_ERR_INVALID_ARGUMENT, "64");
    /* NULL beats invalid, whatever the argument order. */
    T_RESULT(ivrconf_call_new(e, BAD_UTF8, NULL, NULL, NULL, NULL, 0), IVRCONF_ERR_NULL_ARGUMENT);
    /* None of the above created a call. */
    T_RESULT(ivrconf_call_state(e, "n1", &state), IVRCONF_ERR_UNKNOWN_CALL);

    /* The limits themselves are accepted: 64 characters, Latin-1 text,
     * NULL dnis/ani, user data. The limit counts characters, not bytes. */
    T_OK(ivrconf_call_new(e, max_id, "5000", NULL, NULL, NULL, 0));
    T_OK(ivrconf_call_end(e, max_id));
    {
        char wide[2 * 65 + 1] = "";
        int i;
        for (i = 0; i < 64; i++)
            strcat(wide, E_ACUTE); /* 64 characters, 128 bytes */
        T_OK(ivrconf_call_new(e, wide, "5000", NULL, NULL, NULL, 0));
        T_OK(ivrconf_call_end(e, wide));
        strcat(wide, E_ACUTE);
        T_REFUSED(ivrconf_call_new(e, wide, "5000", NULL, NULL, NULL, 0), IVRCONF_ERR_INVALID_ARGUMENT, "64");
    }
    T_OK(ivrconf_call_new(e, "n" E_ACUTE, "5000", "5001", "0601020304", good_kv, 1));
    T_OK(ivrconf_call_end(e, "n" E_ACUTE));

    /* The other call functions. */
    T_RESULT(ivrconf_call_end(e, NULL), IVRCONF_ERR_NULL_ARGUMENT);
    T_RESULT(ivrconf_call_end(e, BAD_UTF8), IVRCONF_ERR_INVALID_ARGUMENT);
    T_RESULT(ivrconf_call_end(e, long_id), IVRCONF_ERR_INVALID_ARGUMENT);
    T_RESULT(ivrconf_call_state(e, NULL, &state), IVRCONF_ERR_NULL_ARGUMENT);
    T_RESULT(ivrconf_call_state(e, "n1", NULL), IVRCONF_ERR_NULL_ARGUMENT);
    T_RESULT(ivrconf_call_state(e, BAD_UTF8, &state), IVRCONF_ERR_INVALID_ARGUMENT);
    T_RESULT(ivrconf_call_can(e, NULL, IVRCONF_OP_CONFERENCE_ONE_STEP), IVRCONF_ERR_NULL_ARGUMENT);
    T_RESULT(ivrconf_call_can(e, BAD_UTF8, IVRCONF_OP_CONFERENCE_ONE_STEP), IVRCONF_ERR_INVALID_ARGUMENT);
    /* An unknown op kind is an argument error, before the call lookup. */
    T_RESULT(ivrconf_call_can(e, "n1", 0), IVRCONF_ERR_INVALID_ARGUMENT);
    T_RESULT(ivrconf_call_can(e, "n1", 8), IVRCONF_ERR_INVALID_ARGUMENT);
    T_RESULT(ivrconf_call_can(e, "n1", 0xFFFFFFFFu), IVRCONF_ERR_INVALID_ARGUMENT);
    T_RESULT(ivrconf_call_set_userdata(e, NULL, &op), IVRCONF_ERR_NULL_ARGUMENT);
    T_RESULT(ivrconf_call_set_userdata(e, BAD_UTF8, &op), IVRCONF_ERR_INVALID_ARGUMENT);
    T_REFUSED(ivrconf_call_set_userdata(e, "n1", &op), IVRCONF_ERR_UNKNOWN_CALL, "n1");
    T_REFUSED(ivrconf_call_set_userdata(e, "n1", NULL), IVRCONF_ERR_UNKNOWN_CALL, "n1");
    T_RESULT(ivrconf_engine_stats(e, NULL), IVRCONF_ERR_NULL_ARGUMENT);
    T_REFUSED(ivrconf_engine_set_log_level(e, 0), IVRCONF_ERR_INVALID_ARGUMENT, "0");
    T_REFUSED(ivrconf_engine_set_log_level(e, IVRCONF_LOG_TRACE + 1), IVRCONF_ERR_INVALID_ARGUMENT, "6");

    /* The op functions: every pointer, then strings. */
#define OP_ARGS(fn)                                                                    \
    T_RESULT(fn(e, NULL, "6001", NULL, 0, &op), IVRCONF_ERR_NULL_ARGUMENT);            \
    T_RESULT(fn(e, "n1", NULL, NULL, 0, &op), IVRCONF_ERR_NULL_ARGUMENT);              \
    T_RESULT(fn(e, "n1", "6001", NULL, 0, NULL), IVRCONF_ERR_NULL_ARGUMENT);           \
    T_RESULT(fn(e, "n1", "6001", NULL, 2, &op), IVRCONF_ERR_NULL_ARGUMENT);            \
    T_RESULT(fn(e, "n1", "6001", null_key, 1, &op), IVRCONF_ERR_NULL_ARGUMENT);        \
    T_RESULT(fn(e, "n1", "6001", null_value, 1, &op), IVRCONF_ERR_NULL_ARGUMENT);      \
    T_RESULT(fn(e, "n1", BAD_UTF8, NULL, 0, &op), IVRCONF_ERR_INVALID_ARGUMENT);       \
    T_RESULT(fn(e, "n1", "60" EURO, NULL, 0, &op), IVRCONF_ERR_INVALID_ARGUMENT);      \
    T_RESULT(fn(e, "n1", "60\n01", NULL, 0, &op), IVRCONF_ERR_INVALID_ARGUMENT);       \
    T_RESULT(fn(e, "n1", "6001", euro_value, 1, &op), IVRCONF_ERR_INVALID_ARGUMENT);   \
    T_RESULT(fn(e, long_id, "6001", NULL, 0, &op), IVRCONF_ERR_INVALID_ARGUMENT);      \
    T_RESULT(fn(e, "n1", "6001", NULL, 0, &op), IVRCONF_ERR_UNKNOWN_CALL)
    OP_ARGS(ivrconf_conference_one_step);
    OP_ARGS(ivrconf_conference_init);
    OP_ARGS(ivrconf_transfer_one_step);
    OP_ARGS(ivrconf_transfer_init);
#undef OP_ARGS
    T_ASSERT(op == 0, "a refused op wrote its op id");
    T_RESULT(ivrconf_conference_complete(e, NULL), IVRCONF_ERR_NULL_ARGUMENT);
    T_RESULT(ivrconf_transfer_complete(e, NULL), IVRCONF_ERR_NULL_ARGUMENT);
    T_RESULT(ivrconf_consult_cancel(e, NULL), IVRCONF_ERR_NULL_ARGUMENT);
    T_RESULT(ivrconf_conference_complete(e, BAD_UTF8), IVRCONF_ERR_INVALID_ARGUMENT);
    T_RESULT(ivrconf_transfer_complete(e, BAD_UTF8), IVRCONF_ERR_INVALID_ARGUMENT);
    T_RESULT(ivrconf_consult_cancel(e, BAD_UTF8), IVRCONF_ERR_INVALID_ARGUMENT);
    T_REFUSED(ivrconf_conference_complete(e, "n1"), IVRCONF_ERR_UNKNOWN_CALL, "n1");
    T_RESULT(ivrconf_transfer_complete(e, "n1"), IVRCONF_ERR_UNKNOWN_CALL);
    T_RESULT(ivrconf_consult_cancel(e, "n1"), IVRCONF_ERR_UNKNOWN_CALL);
    T_RESULT(ivrconf_call_end(e, "n1"), IVRCONF_ERR_UNKNOWN_CALL);
    T_RESULT(ivrconf_call_can(e, "n1", IVRCONF_OP_CONSULT_CANCEL), IVRCONF_ERR_UNKNOWN_CALL);
}

/* CALL_EXISTS, INVALID_STATE, OPERATION_PENDING on live calls. */
static void state_refusals(ivrconf_engine *e, ex_waiter *w, ivrconf_sim *sim) {
    ivrconf_op_id op = 0, other = 0;
    uint32_t state = 0, k;
    uint64_t count = 0;
    ex_event done;

    T_OK(ivrconf_call_new(e, "s1", "5000", NULL, NULL, NULL, 0));
    T_REFUSED(ivrconf_call_new(e, "s1", "5000", NULL, NULL, NULL, 0), IVRCONF_ERR_CALL_EXISTS, "s1");
    T_OK(ivrconf_call_state(e, "s1", &state));
    T_ASSERT(state == IVRCONF_CALL_STATE_ACTIVE, "new call state %u", state);

    /* ACTIVE: every start op may start, no complete/cancel. */
    for (k = IVRCONF_OP_CONFERENCE_ONE_STEP; k <= IVRCONF_OP_TRANSFER_CONSULT; k++)
        T_OK(ivrconf_call_can(e, "s1", k));
    for (k = IVRCONF_OP_CONFERENCE_COMPLETE; k <= IVRCONF_OP_CONSULT_CANCEL; k++)
        T_REFUSED(ivrconf_call_can(e, "s1", k), IVRCONF_ERR_INVALID_STATE, "");
    T_RESULT(ivrconf_conference_complete(e, "s1"), IVRCONF_ERR_INVALID_STATE);
    T_RESULT(ivrconf_transfer_complete(e, "s1"), IVRCONF_ERR_INVALID_STATE);
    T_REFUSED(ivrconf_consult_cancel(e, "s1"), IVRCONF_ERR_INVALID_STATE, "");

    /* A consult conference in flight (never answered: no_answer_timeout
     * is long for this engine). */
    T_OK(ivrconf_conference_init(e, "s1", "noanswer7001", NULL, 0, &op));
    T_ASSERT(op != 0, "op id 0");
    for (k = IVRCONF_OP_CONFERENCE_ONE_STEP; k <= IVRCONF_OP_TRANSFER_CONSULT; k++)
        T_RESULT(ivrconf_call_can(e, "s1", k), IVRCONF_ERR_OPERATION_PENDING);
    T_REFUSED(ivrconf_conference_one_step(e, "s1", "6001", NULL, 0, &other), IVRCONF_ERR_OPERATION_PENDING, "");
    T_RESULT(ivrconf_conference_init(e, "s1", "6001", NULL, 0, &other), IVRCONF_ERR_OPERATION_PENDING);
    T_RESULT(ivrconf_transfer_one_step(e, "s1", "6001", NULL, 0, &other), IVRCONF_ERR_OPERATION_PENDING);
    T_RESULT(ivrconf_transfer_init(e, "s1", "6001", NULL, 0, &other), IVRCONF_ERR_OPERATION_PENDING);
    /* Argument errors still come first. */
    T_RESULT(ivrconf_transfer_init(e, "s1", EURO, NULL, 0, &other), IVRCONF_ERR_INVALID_ARGUMENT);
    /* A transfer complete does not continue a conference consult. */
    T_RESULT(ivrconf_call_can(e, "s1", IVRCONF_OP_TRANSFER_COMPLETE), IVRCONF_ERR_INVALID_STATE);
    T_RESULT(ivrconf_transfer_complete(e, "s1"), IVRCONF_ERR_INVALID_STATE);
    T_OK(ivrconf_call_can(e, "s1", IVRCONF_OP_CONFERENCE_COMPLETE));
    T_OK(ivrconf_call_can(e, "s1", IVRCONF_OP_CONSULT_CANCEL));
    T_ASSERT(other == 0, "a refused op wrote its op id");
    T_OK(ivrconf_call_new(e, "s2", "5000", NULL, NULL, NULL, 0)); /* other calls are free */

    /* Cancel: one RetrieveCall; after it, neither complete nor a second
     * cancel until the op has ended. */
    ex_wait_status(w, "s1", IVRCONF_STATUS_DIALING);
    T_OK(ivrconf_consult_cancel(e, "s1"));
    T_RESULT(ivrconf_consult_cancel(e, "s1"), IVRCONF_ERR_INVALID_STATE);
    T_RESULT(ivrconf_conference_complete(e, "s1"), IVRCONF_ERR_INVALID_STATE);
    done = ex_wait_done(w, op);
    T_ASSERT(done.outcome == IVRCONF_OUTCOME_CANCELLED && done.call_state == IVRCONF_CALL_STATE_ACTIVE,
             "cancel: outcome %s state %s", ex_outcome_name(done.outcome), ex_state_name(done.call_state));
    T_RESULT(ivrconf_consult_cancel(e, "s1"), IVRCONF_ERR_INVALID_STATE);
    T_OK(ivrconf_call_can(e, "s1", IVRCONF_OP_TRANSFER_CONSULT));
    /* Refused requests were not sent. The simulator has read everything the
     * engine sent before the RetrieveCall it answered, so the counts are final. */
    {
        static const char *const names[] = {"InitConf", "RetrieveCall", "OneStepConf",
                                            "InitXfer", "OneStepXfer", "CompleteConf",
                                            "CompleteXfer"};
        static const uint64_t want[] = {1, 1, 0, 0, 0, 0, 0};
        size_t i;
        for (i = 0; i < sizeof want / sizeof want[0]; i++) {
            T_OK(ivrconf_sim_received_count(sim, names[i], &count));
            T_ASSERT(count == want[i], "simulator received %llu %s, expected %llu",
                     (unsigned long long)count, names[i], (unsigned long long)want[i]);
        }
    }

    /* HELD (the engine's RetrieveCall failed): no op may start. */
    T_OK(ivrconf_transfer_init(e, "s1", "retrievefail7002", NULL, 0, &op));
    done = ex_wait_done(w, op);
    T_ASSERT(done.outcome == IVRCONF_OUTCOME_RETRIEVE_FAILED && done.call_state == IVRCONF_CALL_STATE_HELD,
             "retrievefail: outcome %s state %s", ex_outcome_name(done.outcome), ex_state_name(done.call_state));
    for (k = IVRCONF_OP_CONFERENCE_ONE_STEP; k <= IVRCONF_OP_CONSULT_CANCEL; k++)
        T_RESULT(ivrconf_call_can(e, "s1", k), IVRCONF_ERR_INVALID_STATE);
    T_RESULT(ivrconf_conference_one_step(e, "s1", "6001", NULL, 0, &other), IVRCONF_ERR_INVALID_STATE);
    T_RESULT(ivrconf_consult_cancel(e, "s1"), IVRCONF_ERR_INVALID_STATE);
    T_OK(ivrconf_call_end(e, "s1"));
    T_RESULT(ivrconf_call_state(e, "s1", &state), IVRCONF_ERR_UNKNOWN_CALL);
    /* The id is free again at once. */
    T_OK(ivrconf_call_new(e, "s1", "5000", NULL, NULL, NULL, 0));
    T_OK(ivrconf_call_end(e, "s1"));

    /* TRANSFERRED: no op may start (the engine ends the call after
     * request_timeout_ms, long for this engine). */
    T_OK(ivrconf_transfer_one_step(e, "s2", "6001", NULL, 0, &op));
    done = ex_wait_done(w, op);
    T_ASSERT(done.outcome == IVRCONF_OUTCOME_COMPLETED && done.call_state == IVRCONF_CALL_STATE_TRANSFERRED,
             "transfer: outcome %s state %s", ex_outcome_name(done.outcome), ex_state_name(done.call_state));
    for (k = IVRCONF_OP_CONFERENCE_ONE_STEP; k <= IVRCONF_OP_CONSULT_CANCEL; k++)
        T_RESULT(ivrconf_call_can(e, "s2", k), IVRCONF_ERR_INVALID_STATE);
    T_RESULT(ivrconf_conference_init(e, "s2", "6001", NULL, 0, &other), IVRCONF_ERR_INVALID_STATE);
    T_OK(ivrconf_call_end(e, "s2"));

    /* CONFERENCED: new ops may start, complete may not. */
    T_OK(ivrconf_call_new(e, "s3", "5000", NULL, NULL, NULL, 0));
    T_OK(ivrconf_conference_one_step(e, "s3", "6001", NULL, 0, &op));
    done = ex_wait_done(w, op);
    T_ASSERT(done.call_state == IVRCONF_CALL_STATE_CONFERENCED, "one-step conf: state %s",
             ex_state_name(done.call_state));
    for (k = IVRCONF_OP_CONFERENCE_ONE_STEP; k <= IVRCONF_OP_TRANSFER_CONSULT; k++)
        T_OK(ivrconf_call_can(e, "s3", k));
    T_RESULT(ivrconf_conference_complete(e, "s3"), IVRCONF_ERR_INVALID_STATE);
    T_OK(ivrconf_call_end(e, "s3"));
}

/* Losing the server: ops are NOT_CONNECTED, call_state and call_end still
 * work (from local state). */
static void not_connected(ivrconf_engine *e, ex_waiter *w, ivrconf_sim *sim) {
    ex_match down = {IVRCONF_EVENT_SESSION_DOWN, NULL, 0, 0};
    size_t from = 0;
    ivrconf_op_id op = 0;
    uint32_t state = 0, k;

    T_OK(ivrconf_call_new(e, "d1", "5000", NULL, NULL, NULL, 0));
    ivrconf_sim_free(sim); /* the server goes away for good */
    T_ASSERT(ex_wait(w, &from, &down, EX_EVENT_TIMEOUT_MS, NULL), "no SESSION_DOWN");
    for (k = IVRCONF_OP_CONFERENCE_ONE_STEP; k <= IVRCONF_OP_TRANSFER_CONSULT; k++)
        T_RESULT(ivrconf_call_can(e, "d1", k), IVRCONF_ERR_NOT_CONNECTED);
    T_REFUSED(ivrconf_conference_one_step(e, "d1", "6001", NULL, 0, &op), IVRCONF_ERR_NOT_CONNECTED, "");
    T_RESULT(ivrconf_transfer_init(e, "d1", "6001", NULL, 0, &op), IVRCONF_ERR_NOT_CONNECTED);
    T_RESULT(ivrconf_call_new(e, "d2", "5000", NULL, NULL, NULL, 0), IVRCONF_ERR_NOT_CONNECTED);
    /* Precedence: CALL_EXISTS and UNKNOWN_CALL before NOT_CONNECTED. */
    T_RESULT(ivrconf_call_new(e, "d1", "5000", NULL, NULL, NULL, 0), IVRCONF_ERR_CALL_EXISTS);
    T_RESULT(ivrconf_transfer_one_step(e, "d9", "6001", NULL, 0, &op), IVRCONF_ERR_UNKNOWN_CALL);
    T_OK(ivrconf_call_state(e, "d1", &state));
    T_ASSERT(state == IVRCONF_CALL_STATE_ACTIVE, "state while disconnected: %s", ex_state_name(state));
    T_OK(ivrconf_call_end(e, "d1"));
    ex_wait_ended(w, "d1");
    T_RESULT(ivrconf_call_state(e, "d1", &state), IVRCONF_ERR_UNKNOWN_CALL);
}

int main(void) {
    char server[64];
    ivrconf_sim *sim;
    ivrconf_engine *e;
    ex_waiter w;

    result_names();
    T_ASSERT(ivrconf_last_error() != NULL && ivrconf_last_error()[0] == '\0',
             "last error before any failure: \"%s\"", ivrconf_last_error());
    null_event_accessors();
    free_null();
    last_error_is_thread_local();
    config_refusals();
    engine_new_refusals();
    null_engine();
    sim_refusals();
    never_connected();

    sim = ex_sim_start(server, sizeof server);
    ex_waiter_init(&w, 0);
    /* Long timers: the consult of state_refusals() must stay unanswered,
     * and the TRANSFERRED call must stay until checked (request_timeout_ms
     * also bounds the engine's post-transfer EndCall). */
    e = t_engine(server, &w, "no_answer_timeout_ms", "60000", "request_timeout_ms", "5000", NULL);
    call_argument_refusals(e);
    state_refusals(e, &w, sim);
    not_connected(e, &w, sim); /* frees the simulator */
    ivrconf_engine_free(e);
    T_ASSERT(w.freed == 1, "free_userdata ran %d times", w.freed);
    ex_waiter_destroy(&w);
    return t_finish("api_refusals");
}

/*
 * api_conveniences.c -- the conveniences added to the C API in 0.2:
 *   - IVRCONF_LOG=<level> with no log callback: the log goes to stderr, one
 *     line per record with its UTC time and level; unset, nothing is written;
 *   - the *_str name of every constant of every set, "" for 0 and unknown;
 *   - ivrconf_event_clone: copies made inside the callback, read and freed
 *     on another thread after the engine is gone; a clone in poll mode;
 *   - ivrconf_call_set_userdata / ivrconf_event_call_userdata: which events
 *     carry the pointer (later events of that call only, until cleared);
 *   - ivrconf_engine_stats: struct_size handling and the counters of a run;
 *   - ivrconf_engine_set_log_level;
 *   - ivrconf_engine_wait_ready's timeout names the last connection failure.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api_test.h"

/* ---- IVRCONF_LOG ------------------------------------------------------------ */

/* Runs one engine without a log callback (logged in to a fresh simulator,
 * then freed) with stderr sent to a temporary file; returns what was
 * written to stderr (malloc'd, NUL-terminated). */
static char *stderr_of_one_engine(void) {
    char server[64];
    ivrconf_sim *sim;
    ivrconf_config *cfg;
    ivrconf_engine *e = NULL;
    FILE *tmp = tmpfile();
    int saved;
    long len;
    char *text;

    if (tmp == NULL) {
        perror("tmpfile");
        exit(1);
    }
    fflush(stderr);
    saved = dup(2);
    dup2(fileno(tmp), 2);
    sim = ex_sim_start(server, sizeof server);
    cfg = ex_config_new(server);
    EX_CHECK(ivrconf_engine_new(cfg, NULL, NULL, NULL, NULL, &e));
    ivrconf_config_free(cfg);
    EX_CHECK(ivrconf_engine_wait_ready(e, EX_READY_TIMEOUT_MS));
    /* Free joins the dispatcher, which writes the lines: all are out. */
    ivrconf_engine_free(e);
    ivrconf_sim_free(sim);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);

    fseek(tmp, 0, SEEK_END);
    len = ftell(tmp);
    rewind(tmp);
    text = (char *)malloc((size_t)len + 1);
    if (text == NULL || fread(text, 1, (size_t)len, tmp) != (size_t)len) {
        fprintf(stderr, "cannot read back stderr\n");
        exit(1);
    }
    text[len] = '\0';
    fclose(tmp);
    return text;
}

/* `line` starts "YYYY-MM-DDTHH:MM:SS.mmmZ ivrconf LEVEL": returns LEVEL's
 * start, or NULL. */
static const char *log_line_level(const char *line) {
    int y, mo, d, h, mi, s, ms, used = 0;
    if (sscanf(line, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ%n", &y, &mo, &d, &h, &mi, &s, &ms, &used) != 7 ||
        used != 24 || strncmp(line + used, " ivrconf ", 9) != 0)
        return NULL;
    return line + used + 9;
}

/* Run first, while no other thread of the library exists: setenv and
 * unsetenv are not thread-safe. */
static void log_to_stderr_from_the_environment(void) {
    char *text, *line, *save = NULL;
    int lines = 0, bad = 0, logged_in = 0, too_verbose = 0;

    setenv("IVRCONF_LOG", "info", 1);
    text = stderr_of_one_engine();
    unsetenv("IVRCONF_LOG");
    for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        const char *level = log_line_level(line);
        lines++;
        if (level == NULL) {
            bad++;
            fprintf(stderr, "not a log line: \"%s\"\n", line);
            continue;
        }
        if (strncmp(level, "INFO  logged in to 127.0.0.1:", 29) == 0)
            logged_in++;
        if (strncmp(level, "DEBUG", 5) == 0 || strncmp(level, "TRACE", 5) == 0)
            too_verbose++;
    }
    T_ASSERT(lines > 0 && bad == 0, "IVRCONF_LOG=info: %d lines, %d not log lines", lines, bad);
    T_ASSERT(logged_in == 1, "IVRCONF_LOG=info: %d \"logged in\" lines", logged_in);
    T_ASSERT(too_verbose == 0, "IVRCONF_LOG=info: %d debug/trace lines", too_verbose);
    free(text);

    text = stderr_of_one_engine();
    T_ASSERT(text[0] == '\0', "IVRCONF_LOG unset, yet stderr got \"%s\"", text);
    free(text);

    setenv("IVRCONF_LOG", "loud", 1);
    text = stderr_of_one_engine();
    unsetenv("IVRCONF_LOG");
    T_ASSERT(strstr(text, "IVRCONF_LOG=\"loud\" is not a log level") != NULL &&
                 strchr(text, '\n') == text + strlen(text) - 1,
             "IVRCONF_LOG=loud: one line saying so, got \"%s\"", text);
    free(text);
}

/* ---- names ------------------------------------------------------------------ */

typedef struct named {
    uint32_t value;
    const char *name;
} named;

/* The header's constant with its own name as text. */
#define NAMED(c) {c, #c}

static const named event_kinds[] = {
    NAMED(IVRCONF_EVENT_SESSION_UP),     NAMED(IVRCONF_EVENT_SESSION_DOWN),
    NAMED(IVRCONF_EVENT_CALL_STATUS),    NAMED(IVRCONF_EVENT_OPERATION_DONE),
    NAMED(IVRCONF_EVENT_CALL_ENDED),     NAMED(IVRCONF_EVENT_ENGINE_ERROR)};
static const named statuses[] = {
    NAMED(IVRCONF_STATUS_DIALING),        NAMED(IVRCONF_STATUS_RINGING),
    NAMED(IVRCONF_STATUS_ESTABLISHED),    NAMED(IVRCONF_STATUS_RETRIEVED),
    NAMED(IVRCONF_STATUS_BUSY),           NAMED(IVRCONF_STATUS_HELD),
    NAMED(IVRCONF_STATUS_CONF_PARTY_ADD), NAMED(IVRCONF_STATUS_CONF_PARTY_DEL),
    NAMED(IVRCONF_STATUS_XFER_COMPLETE),  NAMED(IVRCONF_STATUS_RELEASED)};
static const named outcomes[] = {
    NAMED(IVRCONF_OUTCOME_COMPLETED),       NAMED(IVRCONF_OUTCOME_BUSY),
    NAMED(IVRCONF_OUTCOME_NO_ANSWER),       NAMED(IVRCONF_OUTCOME_FAILED),
    NAMED(IVRCONF_OUTCOME_CANCELLED),       NAMED(IVRCONF_OUTCOME_CONSULT_RELEASED),
    NAMED(IVRCONF_OUTCOME_RETRIEVE_FAILED), NAMED(IVRCONF_OUTCOME_CALL_ENDED),
    NAMED(IVRCONF_OUTCOME_TIMEOUT),         NAMED(IVRCONF_OUTCOME_LINK_LOST)};
static const named call_states[] = {
    NAMED(IVRCONF_CALL_STATE_ACTIVE),      NAMED(IVRCONF_CALL_STATE_CONSULTING),
    NAMED(IVRCONF_CALL_STATE_CONSULT_ESTABLISHED), NAMED(IVRCONF_CALL_STATE_HELD),
    NAMED(IVRCONF_CALL_STATE_CONFERENCED), NAMED(IVRCONF_CALL_STATE_TRANSFERRED),
    NAMED(IVRCONF_CALL_STATE_ENDED)};
static const named op_kinds[] = {
    NAMED(IVRCONF_OP_CONFERENCE_ONE_STEP), NAMED(IVRCONF_OP_CONFERENCE_CONSULT),
    NAMED(IVRCONF_OP_TRANSFER_ONE_STEP),   NAMED(IVRCONF_OP_TRANSFER_CONSULT),
    NAMED(IVRCONF_OP_CONFERENCE_COMPLETE), NAMED(IVRCONF_OP_TRANSFER_COMPLETE),
    NAMED(IVRCONF_OP_CONSULT_CANCEL)};
static const named requests[] = {
    NAMED(IVRCONF_REQUEST_UNKNOWN),       NAMED(IVRCONF_REQUEST_NO_SUCH_CALL),
    NAMED(IVRCONF_REQUEST_ONE_STEP_XFER), NAMED(IVRCONF_REQUEST_ONE_STEP_CONF),
    NAMED(IVRCONF_REQUEST_INIT_CONF),     NAMED(IVRCONF_REQUEST_COMPLETE_CONF),
    NAMED(IVRCONF_REQUEST_INIT_XFER),     NAMED(IVRCONF_REQUEST_COMPLETE_XFER),
    NAMED(IVRCONF_REQUEST_RETRIEVE_CALL), NAMED(IVRCONF_REQUEST_MAKE_CALL),
    NAMED(IVRCONF_REQUEST_AGENT_CONTROL), NAMED(IVRCONF_REQUEST_NOT_ALLOWED)};
static const named log_levels[] = {
    NAMED(IVRCONF_LOG_ERROR), NAMED(IVRCONF_LOG_WARN), NAMED(IVRCONF_LOG_INFO),
    NAMED(IVRCONF_LOG_DEBUG), NAMED(IVRCONF_LOG_TRACE)};
static const named trace_formats[] = {
    NAMED(IVRCONF_TRACE_TEXT), NAMED(IVRCONF_TRACE_MERMAID), NAMED(IVRCONF_TRACE_JSONL)};

static const struct name_set {
    const char *what;
    const char *(*str)(uint32_t);
    const named *members;
    size_t len;
} name_sets[] = {
#define SET(fn, members) {#fn, fn, members, sizeof members / sizeof members[0]}
    SET(ivrconf_event_kind_str, event_kinds), SET(ivrconf_status_str, statuses),
    SET(ivrconf_outcome_str, outcomes),       SET(ivrconf_call_state_str, call_states),
    SET(ivrconf_op_kind_str, op_kinds),       SET(ivrconf_request_str, requests),
    SET(ivrconf_log_level_str, log_levels),   SET(ivrconf_trace_format_str, trace_formats),
#undef SET
};

static void every_constant_has_its_name(void) {
    const uint32_t nothing[] = {0, 13, 99, 0x7FFFFFFFu, 0xFFFFFFFFu};
    size_t s, i;
    for (s = 0; s < sizeof name_sets / sizeof name_sets[0]; s++) {
        const struct name_set *set = &name_sets[s];
        for (i = 0; i < set->len; i++) {
            const char *got = set->str(set->members[i].value);
            T_ASSERT(got != NULL && strcmp(got, set->members[i].name) == 0, "%s(%u) = \"%s\", expected %s",
                     set->what, set->members[i].value, got ? got : "(null)", set->members[i].name);
        }
        /* The values are 1..len: the next one names nothing. */
        T_ASSERT(set->str((uint32_t)set->len + 1)[0] == '\0', "%s(%u) names something", set->what,
                 (unsigned)set->len + 1);
        for (i = 0; i < sizeof nothing / sizeof nothing[0]; i++) {
            const char *got = set->str(nothing[i]);
            T_ASSERT(got != NULL && got[0] == '\0', "%s(%u) = \"%s\", expected \"\"", set->what,
                     nothing[i], got ? got : "(null)");
        }
    }
}

/* ---- clone and userdata (callback mode) ---------------------------------------- */

#define MAX_KEPT 256

/* The callback's side of this test: a clone of each event and the
 * userdata it carried, in delivery order (the same order as the waiter's
 * copies, which the same callback appends). */
static struct {
    pthread_mutex_t lock;
    ivrconf_event *clones[MAX_KEPT];
    void *userdata[MAX_KEPT];
    size_t len;
    int failures;
} kept = {PTHREAD_MUTEX_INITIALIZER, {0}, {0}, 0, 0};

static void keep_event(void *waiter, const ivrconf_event *ev) {
    ivrconf_event *copy = NULL;
    ivrconf_result r = ivrconf_event_clone(ev, &copy);
    pthread_mutex_lock(&kept.lock);
    if (r == IVRCONF_OK && copy != NULL && kept.len < MAX_KEPT) {
        kept.clones[kept.len] = copy;
        kept.userdata[kept.len] = ivrconf_event_call_userdata(ev);
        kept.len++;
    } else {
        kept.failures++;
        ivrconf_event_free(copy);
    }
    pthread_mutex_unlock(&kept.lock);
    ex_on_event(waiter, ev);
}

static int marker_a, marker_b;

/* What the clones must hold, checked on a thread of their own. */
typedef struct clone_check {
    const ex_waiter *w;
    int mismatches, wrong_userdata;
} clone_check;

static int same_event(const ex_event *a, const ex_event *b) {
    return a->kind == b->kind && strcmp(a->call_id, b->call_id) == 0 && a->op_id == b->op_id &&
           a->op_kind == b->op_kind && a->status == b->status && a->outcome == b->outcome &&
           a->failed_request == b->failed_request && a->tlib_error == b->tlib_error &&
           a->call_state == b->call_state && a->party_count == b->party_count &&
           strcmp(a->text, b->text) == 0;
}

/* Whether event `e` (in delivery order) carried the right userdata. a1:
 * set before its op, cleared (after its OPERATION_DONE was seen) before
 * its end. b1: set after its OPERATION_DONE was seen, before its end. A
 * status between the OPERATION_DONE and the change may carry either. */
static int right_userdata(const ex_event *e, const void *ud, int *a_done, int *b_done) {
    int is_a = strcmp(e->call_id, "a1") == 0, is_b = strcmp(e->call_id, "b1") == 0;
    int *done = is_a ? a_done : b_done;
    const void *before = is_a ? (const void *)&marker_a : NULL;
    const void *after = is_a ? NULL : (const void *)&marker_b;
    if (!is_a && !is_b)
        return ud == NULL;
    if (e->kind == IVRCONF_EVENT_CALL_ENDED)
        return ud == after;
    if (*done)
        return ud == before || ud == after;
    if (e->kind == IVRCONF_EVENT_OPERATION_DONE)
        *done = 1;
    return ud == before;
}

static void *check_clones(void *arg) {
    clone_check *c = (clone_check *)arg;
    size_t i;
    int a_done = 0, b_done = 0;
    for (i = 0; i < kept.len; i++) {
        ex_event copy;
        ex_event_copy(kept.clones[i], &copy);
        if (!same_event(&copy, &c->w->events[i])) {
            c->mismatches++;
            fprintf(stderr, "clone %zu differs from the event it copied\n", i);
        }
        if (ivrconf_event_call_userdata(kept.clones[i]) != kept.userdata[i] ||
            !right_userdata(&copy, kept.userdata[i], &a_done, &b_done)) {
            c->wrong_userdata++;
            fprintf(stderr, "event %zu (%s %s): userdata %p\n", i, ivrconf_event_kind_str(copy.kind),
                    copy.call_id, kept.userdata[i]);
        }
        ivrconf_event_free(kept.clones[i]);
    }
    return NULL;
}

/* struct_size handling: too small refused (nothing written), a bigger
 * struct (a newer header) gets the fields this library has. */
static void stats_sizes(ivrconf_engine *e) {
    struct {
        ivrconf_stats s;
        uint64_t newer[2];
    } big;
    ivrconf_stats s, before;
    const uint32_t small[] = {0, 4, 8, (uint32_t)sizeof s - 8, (uint32_t)sizeof s - 1};
    size_t i;

    memset(&s, 0xAB, sizeof s);
    for (i = 0; i < sizeof small / sizeof small[0]; i++) {
        s.struct_size = small[i];
        memcpy(&before, &s, sizeof s);
        T_REFUSED(ivrconf_engine_stats(e, &s), IVRCONF_ERR_INVALID_ARGUMENT, "struct_size");
        T_ASSERT(memcmp(&s, &before, sizeof s) == 0, "a refused struct_size %u wrote the struct",
                 small[i]);
    }
    memset(&big, 0xAB, sizeof big);
    big.s.struct_size = sizeof big;
    T_OK(ivrconf_engine_stats(e, &big.s));
    T_ASSERT(big.s.struct_size == sizeof(ivrconf_stats), "filled %u bytes of a %zu-byte struct",
             big.s.struct_size, sizeof big);
    T_ASSERT(big.newer[0] == 0xABABABABABABABABull && big.newer[1] == 0xABABABABABABABABull,
             "fields past the library's struct were written");
    T_ASSERT(big.s.logins == 1, "logins in a bigger struct: %llu", (unsigned long long)big.s.logins);
}

static void stats_of_the_run(ivrconf_engine *e) {
    ivrconf_stats s;
    memset(&s, 0, sizeof s);
    s.struct_size = sizeof s;
    T_OK(ivrconf_engine_stats(e, &s));
    T_ASSERT(s.struct_size == sizeof s, "struct_size %u", s.struct_size);
    T_ASSERT(s.connect_attempts == 1 && s.logins == 1 && s.link_losses == 0,
             "session: %llu attempts, %llu logins, %llu losses",
             (unsigned long long)s.connect_attempts, (unsigned long long)s.logins,
             (unsigned long long)s.link_losses);
    T_ASSERT(s.calls_total == 2 && s.calls_live == 0, "calls: %llu total, %llu live",
             (unsigned long long)s.calls_total, (unsigned long long)s.calls_live);
    T_ASSERT(s.ops_started == 2 && s.ops_completed == 1 && s.ops_busy == 1,
             "ops: %llu started, %llu completed, %llu busy", (unsigned long long)s.ops_started,
             (unsigned long long)s.ops_completed, (unsigned long long)s.ops_busy);
    T_ASSERT(s.ops_no_answer + s.ops_failed + s.ops_cancelled + s.ops_consult_released +
                     s.ops_retrieve_failed + s.ops_call_ended + s.ops_timeout + s.ops_link_lost ==
                 0,
             "other outcomes counted");
    T_ASSERT(s.frames_out >= 5 && s.bytes_out > 6 * s.frames_out, "out: %llu frames, %llu bytes",
             (unsigned long long)s.frames_out, (unsigned long long)s.bytes_out);
    T_ASSERT(s.frames_in >= 5 && s.bytes_in > 6 * s.frames_in, "in: %llu frames, %llu bytes",
             (unsigned long long)s.frames_in, (unsigned long long)s.bytes_in);
    T_ASSERT(s.decode_errors == 0 && s.event_queue_full == 0, "decode errors %llu, queue full %llu",
             (unsigned long long)s.decode_errors, (unsigned long long)s.event_queue_full);
    T_ASSERT(s.events_queued_max >= 1 && s.events_queued <= s.events_queued_max,
             "queued %llu, at most %llu", (unsigned long long)s.events_queued,
             (unsigned long long)s.events_queued_max);
}

static void clone_userdata_and_stats(void) {
    char server[64];
    ivrconf_sim *sim = ex_sim_start(server, sizeof server);
    ivrconf_config *cfg = ex_config_new(server);
    ivrconf_engine *e = NULL;
    ex_waiter w;
    ex_event done;
    ivrconf_op_id op_a = 0, op_b = 0;
    clone_check check = {NULL, 0, 0};
    pthread_t checker;
    uint32_t level;

    ex_waiter_init(&w, 0);
    EX_CHECK(ivrconf_engine_new(cfg, keep_event, NULL, &w, ex_on_free, &e));
    ivrconf_config_free(cfg);
    EX_CHECK(ivrconf_engine_wait_ready(e, EX_READY_TIMEOUT_MS));

    T_OK(ivrconf_call_new(e, "a1", "5000", NULL, NULL, NULL, 0));
    T_OK(ivrconf_call_new(e, "b1", "5000", NULL, NULL, NULL, 0));
    T_OK(ivrconf_call_set_userdata(e, "a1", &marker_a));
    T_OK(ivrconf_conference_one_step(e, "a1", "6001", NULL, 0, &op_a));
    T_OK(ivrconf_conference_init(e, "b1", "busy6003", NULL, 0, &op_b));
    done = ex_wait_done(&w, op_a);
    T_ASSERT(done.outcome == IVRCONF_OUTCOME_COMPLETED, "a1: %s", ivrconf_outcome_str(done.outcome));
    done = ex_wait_done(&w, op_b);
    T_ASSERT(done.outcome == IVRCONF_OUTCOME_BUSY, "b1: %s", ivrconf_outcome_str(done.outcome));
    T_OK(ivrconf_call_set_userdata(e, "a1", NULL));
    T_OK(ivrconf_call_end(e, "a1"));
    T_OK(ivrconf_call_set_userdata(e, "b1", &marker_b));
    T_OK(ivrconf_call_end(e, "b1"));
    ex_wait_ended(&w, "a1");
    ex_wait_ended(&w, "b1");
    T_REFUSED(ivrconf_call_set_userdata(e, "a1", &marker_a), IVRCONF_ERR_UNKNOWN_CALL, "a1");

    stats_of_the_run(e);
    stats_sizes(e);
    for (level = IVRCONF_LOG_ERROR; level <= IVRCONF_LOG_TRACE; level++)
        T_OK(ivrconf_engine_set_log_level(e, level));
    T_REFUSED(ivrconf_engine_set_log_level(e, IVRCONF_LOG_TRACE + 1), IVRCONF_ERR_INVALID_ARGUMENT,
              "log level");
    T_OK(ivrconf_engine_shutdown(e));
    T_RESULT(ivrconf_engine_set_log_level(e, IVRCONF_LOG_INFO), IVRCONF_ERR_SHUT_DOWN);
    {
        ivrconf_stats after;
        memset(&after, 0, sizeof after);
        after.struct_size = sizeof after;
        T_OK(ivrconf_engine_stats(e, &after)); /* answers after shutdown too */
        T_ASSERT(after.calls_total == 2, "calls_total after shutdown: %llu",
                 (unsigned long long)after.calls_total);
    }
    ivrconf_engine_free(e);
    ivrconf_sim_free(sim);

    /* The clones outlive the engine; another thread reads and frees them. */
    T_ASSERT(kept.failures == 0, "%d events could not be cloned", kept.failures);
    T_ASSERT(kept.len == w.len && kept.len >= 8, "%zu clones of %zu events", kept.len, w.len);
    check.w = &w;
    pthread_create(&checker, NULL, check_clones, &check);
    pthread_join(checker, NULL);
    T_ASSERT(check.mismatches == 0, "%d clones differ from their events", check.mismatches);
    T_ASSERT(check.wrong_userdata == 0, "%d events carried the wrong userdata", check.wrong_userdata);
    ex_waiter_destroy(&w);
}

/* ---- clone in poll mode ----------------------------------------------------------- */

static void clone_in_poll_mode(void) {
    char server[64];
    ivrconf_sim *sim = ex_sim_start(server, sizeof server);
    ivrconf_config *cfg = ex_config_new(server);
    ivrconf_engine *e = NULL;
    ivrconf_event *ev = NULL, *copy = NULL, *untouched = (ivrconf_event *)&marker_a;
    char text[256];

    EX_CHECK(ivrconf_engine_new(cfg, NULL, NULL, NULL, NULL, &e));
    ivrconf_config_free(cfg);
    EX_CHECK(ivrconf_engine_wait_ready(e, EX_READY_TIMEOUT_MS));
    T_OK(ivrconf_engine_next_event(e, EX_EVENT_TIMEOUT_MS, &ev));
    T_RESULT(ivrconf_event_clone(ev, NULL), IVRCONF_ERR_NULL_ARGUMENT);
    T_RESULT(ivrconf_event_clone(NULL, &untouched), IVRCONF_ERR_NULL_ARGUMENT);
    T_ASSERT(untouched == (ivrconf_event *)&marker_a, "a refused clone wrote its out-parameter");
    T_OK(ivrconf_event_clone(ev, &copy));
    snprintf(text, sizeof text, "%s", ivrconf_event_text(ev));
    ivrconf_event_free(ev);
    T_ASSERT(ivrconf_event_kind(copy) == IVRCONF_EVENT_SESSION_UP && strcmp(ivrconf_event_text(copy), text) == 0 &&
                 ivrconf_event_call_id(copy) == NULL && ivrconf_event_call_userdata(copy) == NULL,
             "clone of SESSION_UP: %s \"%s\"", ivrconf_event_kind_str(ivrconf_event_kind(copy)),
             ivrconf_event_text(copy));
    ivrconf_event_free(copy);

    T_OK(ivrconf_call_new(e, "p1", "5000", NULL, NULL, NULL, 0));
    T_OK(ivrconf_call_set_userdata(e, "p1", &marker_b));
    T_OK(ivrconf_call_end(e, "p1"));
    T_OK(ivrconf_engine_next_event(e, EX_EVENT_TIMEOUT_MS, &ev));
    T_ASSERT(ivrconf_event_kind(ev) == IVRCONF_EVENT_CALL_ENDED && ivrconf_event_call_userdata(ev) == &marker_b,
             "p1: %s with userdata %p", ivrconf_event_kind_str(ivrconf_event_kind(ev)),
             ivrconf_event_call_userdata(ev));
    T_OK(ivrconf_event_clone(ev, &copy));
    ivrconf_event_free(ev);
    T_ASSERT(ivrconf_event_call_userdata(copy) == &marker_b && strcmp(ivrconf_event_call_id(copy), "p1") == 0,
             "the clone keeps the call id and userdata");
    ivrconf_event_free(copy);
    ivrconf_engine_free(e);
    ivrconf_sim_free(sim);
}

/* ---- wait_ready names the last failure ------------------------------------------ */

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

static void wait_ready_names_the_last_failure(void) {
    char server[64], why[512] = "";
    ivrconf_config *cfg;
    ivrconf_engine *e = NULL;
    int tries;

    snprintf(server, sizeof server, "127.0.0.1:%u", closed_port());
    cfg = ex_config_new(server);
    EX_CHECK(ivrconf_engine_new(cfg, NULL, NULL, NULL, NULL, &e));
    ivrconf_config_free(cfg);
    /* The first attempt fails at once on loopback; wait until it has. */
    for (tries = 0; tries < 100 && strstr(why, "refused") == NULL; tries++) {
        T_RESULT(ivrconf_engine_wait_ready(e, 50), IVRCONF_ERR_TIMEOUT);
        snprintf(why, sizeof why, "%s", ivrconf_last_error());
    }
    T_ASSERT(strstr(why, "ivrconf_engine_wait_ready: not logged in within 50 ms") == why &&
                 strstr(why, "last failure") != NULL && strstr(why, server) != NULL &&
                 strstr(why, "refused") != NULL,
             "wait_ready's last error: \"%s\"", why);
    ivrconf_engine_free(e);
}

int main(void) {
    log_to_stderr_from_the_environment();
    every_constant_has_its_name();
    clone_userdata_and_stats();
    clone_in_poll_mode();
    wait_ready_names_the_last_failure();
    return t_finish("api_conveniences");
}

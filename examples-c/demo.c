/*
 * demo.c -- `make demo`: every conference and transfer flow of FLOWS.md,
 * run by the library against the bundled simulator, each shown as the
 * message sequence on the wire followed by the outcome the application saw.
 *
 * The wire sequence comes from the engine's own log: at log_level=trace it
 * logs every frame it sends ("I->S <n> bytes: <xml>") and every message it
 * receives ("S->I Message { call_id: ..., body: ... }", the decoded form).
 * The log callback keeps those lines, shortened to the message name and its
 * fields, and each scenario prints the ones of its call. Every scenario uses
 * its name as call id, so the lines are easy to pick out. The log text is
 * meant for people, not programs: if its form changes so that this demo can
 * no longer read the requests it sent, the flows are reported UNEXPECTED,
 * so that the change is noticed.
 *
 * Exit status: 0 when every flow ended with the outcome, call state and
 * party count FLOWS.md gives for it; 1 otherwise.
 */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>

#include "example.h"

/* ---- the scenarios ------------------------------------------------------- */

typedef enum { ONE_STEP_CONF, CONSULT_CONF, ONE_STEP_XFER, CONSULT_XFER } flow_kind;

/* What the application does once the consult is under way. */
typedef enum {
    WAIT,              /* nothing: the engine ends the op by itself */
    COMPLETE_ANSWERED, /* complete once the consulted party answered */
    COMPLETE_RINGING,  /* complete while it still rings (before the answer) */
    CANCEL_ANSWERED    /* consult_cancel once the consulted party answered */
} app_action;

typedef struct scenario {
    const char *name; /* also the call id */
    const char *title;
    flow_kind kind;
    const char *dest; /* the simulator picks its behaviour from the prefix */
    app_action action;
    uint32_t outcome, state, parties; /* parties 0: not checked */
    /* A CALL_STATUS the server sends after the op ended (0: none), which
     * must leave the call ACTIVE with 2 parties: C2's ConfPartyDel, the
     * Retrieved that follows a CallError (FLOWS.md C6). */
    uint32_t then_status;
} scenario;

static const scenario scenarios[] = {
    {"C1", "one-step conference", ONE_STEP_CONF, "6001", WAIT,
     IVRCONF_OUTCOME_COMPLETED, IVRCONF_CALL_STATE_CONFERENCED, 3, 0},
    {"C2", "one-step conference, another member leaves first", ONE_STEP_CONF,
     "hangup6001", WAIT, IVRCONF_OUTCOME_COMPLETED, IVRCONF_CALL_STATE_CONFERENCED, 3,
     IVRCONF_STATUS_CONF_PARTY_DEL},
    {"C3", "consult conference", CONSULT_CONF, "6002", COMPLETE_ANSWERED,
     IVRCONF_OUTCOME_COMPLETED, IVRCONF_CALL_STATE_CONFERENCED, 3, 0},
    {"C4a", "consult conference, completed before the answer", CONSULT_CONF,
     "slow6002", COMPLETE_RINGING, IVRCONF_OUTCOME_COMPLETED,
     IVRCONF_CALL_STATE_CONFERENCED, 3, 0},
    {"C4b", "consult conference, consulted party hangs up", CONSULT_CONF,
     "hangup6002", WAIT, IVRCONF_OUTCOME_CONSULT_RELEASED, IVRCONF_CALL_STATE_ACTIVE, 2, 0},
    {"C5", "consult conference, busy", CONSULT_CONF, "busy6003", WAIT,
     IVRCONF_OUTCOME_BUSY, IVRCONF_CALL_STATE_ACTIVE, 2, 0},
    {"C5r", "consult conference, busy, RetrieveCall fails", CONSULT_CONF,
     "retrievefail6003", WAIT, IVRCONF_OUTCOME_RETRIEVE_FAILED, IVRCONF_CALL_STATE_HELD, 0, 0},
    {"C6", "consult conference, failed at init", CONSULT_CONF, "fail6004", WAIT,
     IVRCONF_OUTCOME_FAILED, IVRCONF_CALL_STATE_ACTIVE, 2,
     IVRCONF_STATUS_RETRIEVED},
    {"C6c", "consult conference, failed at completion", CONSULT_CONF,
     "failcomplete6004", COMPLETE_ANSWERED, IVRCONF_OUTCOME_FAILED,
     IVRCONF_CALL_STATE_ACTIVE, 2,
     IVRCONF_STATUS_RETRIEVED},
    {"T1", "one-step transfer", ONE_STEP_XFER, "6005", WAIT,
     IVRCONF_OUTCOME_COMPLETED, IVRCONF_CALL_STATE_TRANSFERRED, 0, 0},
    {"T1f", "one-step transfer, failed", ONE_STEP_XFER, "fail6005", WAIT,
     IVRCONF_OUTCOME_FAILED, IVRCONF_CALL_STATE_ACTIVE, 2, 0},
    {"T2", "consult transfer", CONSULT_XFER, "6006", COMPLETE_ANSWERED,
     IVRCONF_OUTCOME_COMPLETED, IVRCONF_CALL_STATE_TRANSFERRED, 0, 0},
    {"T2a", "consult transfer, completed before the answer", CONSULT_XFER,
     "slow6006", COMPLETE_RINGING, IVRCONF_OUTCOME_COMPLETED,
     IVRCONF_CALL_STATE_TRANSFERRED, 0, 0},
    {"T3", "consult transfer, busy", CONSULT_XFER, "busy6007", WAIT,
     IVRCONF_OUTCOME_BUSY, IVRCONF_CALL_STATE_ACTIVE, 2, 0},
    {"T3r", "consult transfer, busy, RetrieveCall fails", CONSULT_XFER,
     "retrievefail6007", WAIT, IVRCONF_OUTCOME_RETRIEVE_FAILED, IVRCONF_CALL_STATE_HELD, 0, 0},
    {"T4", "consult transfer, failed at init", CONSULT_XFER, "fail6008", WAIT,
     IVRCONF_OUTCOME_FAILED, IVRCONF_CALL_STATE_ACTIVE, 2,
     IVRCONF_STATUS_RETRIEVED},
    {"T4c", "consult transfer, failed at completion", CONSULT_XFER,
     "failcomplete6008", COMPLETE_ANSWERED, IVRCONF_OUTCOME_FAILED,
     IVRCONF_CALL_STATE_ACTIVE, 2,
     IVRCONF_STATUS_RETRIEVED},
    {"X1", "consult cancelled by the IVR", CONSULT_CONF, "6009", CANCEL_ANSWERED,
     IVRCONF_OUTCOME_CANCELLED, IVRCONF_CALL_STATE_ACTIVE, 2, 0},
    {"X2", "consult not answered", CONSULT_XFER, "noanswer6009", WAIT,
     IVRCONF_OUTCOME_NO_ANSWER, IVRCONF_CALL_STATE_ACTIVE, 2, 0},
};

/* ---- the wire transcript, from the engine's trace log --------------------- */

#define MAX_LINES 4096

typedef struct demo {
    ex_waiter waiter; /* first: ex_on_event() and ex_on_free() take a `demo *` as their waiter */
    pthread_mutex_t lock;
    pthread_cond_t added;
    struct line {
        char call_id[72];
        char text[240];
    } lines[MAX_LINES];
    size_t nlines;
} demo;

/* Copies the value of `<tag>` ... `</tag>` in `xml` into `out`. */
static int xml_text(const char *xml, const char *tag, char *out, size_t len) {
    char open[64], close[64];
    const char *from, *to;
    snprintf(open, sizeof open, "<%s>", tag);
    snprintf(close, sizeof close, "</%s>", tag);
    from = strstr(xml, open);
    if (from == NULL)
        return 0;
    from += strlen(open);
    to = strstr(from, close);
    if (to == NULL)
        return 0;
    snprintf(out, len, "%.*s", (int)(to - from), from);
    return 1;
}

/* Appends " Name=value" to out (at *n), the field name turned from Rust's
 * snake_case into the protocol's spelling: req_id -> ReqId. */
static void add_field(char *out, size_t len, size_t *n, const char *name, size_t name_len,
                      const char *value, size_t value_len) {
    static const struct { const char *snake, *wire; } odd[] = {
        {"tlib_err_code", "TLibErrCode"}, {"dest_dn", "DestDN"}, {"iserver_version", "IServerVersion"}};
    char wire[64];
    size_t i, w = 0;
    int upper = 1;
    for (i = 0; i < sizeof odd / sizeof odd[0]; i++)
        if (strlen(odd[i].snake) == name_len && strncmp(odd[i].snake, name, name_len) == 0)
            break;
    if (i < sizeof odd / sizeof odd[0]) {
        snprintf(wire, sizeof wire, "%s", odd[i].wire);
    } else {
        for (i = 0; i < name_len && w + 1 < sizeof wire; i++) {
            if (name[i] == '_') {
                upper = 1;
                continue;
            }
            wire[w++] = upper ? (char)toupper((unsigned char)name[i]) : name[i];
            upper = 0;
        }
        wire[w] = '\0';
    }
    if (*n < len)
        *n += (size_t)snprintf(out + *n, len - *n, " %s=%.*s", wire, (int)value_len, value);
}

/* Copies a Rust string literal at p ('"' ... '"') to [*from, *to); returns
 * the position after it, or NULL. */
static const char *debug_string(const char *p, const char **from, const char **to) {
    if (*p != '"')
        return NULL;
    *from = ++p;
    while (*p && *p != '"')
        p += (*p == '\\' && p[1]) ? 2 : 1;
    if (*p != '"')
        return NULL;
    *to = p;
    return p + 1;
}

/* The engine's inbound form, Rust Debug of the decoded message:
 *   Message { call_id: Some("C5"), body: CallStatus(CallStatus { event: "Busy" }) }
 *   -> call id "C5", summary "CallStatus Event=Busy"
 * Text fields (`"x"`, `Some("x")`) are kept; None and structured values
 * (user data lists) are left out. */
static int debug_summary(const char *line, char *call_id, size_t id_len, char *out, size_t len) {
    const char *p = strstr(line, "call_id: Some(\""), *from, *to;
    size_t n = 0;
    int depth = 0;
    call_id[0] = '\0';
    if (p && debug_string(p + strlen("call_id: Some("), &from, &to))
        snprintf(call_id, id_len, "%.*s", (int)(to - from), from);
    p = strstr(line, "body: ");
    if (p == NULL)
        return 0;
    p += strlen("body: ");
    while (*p && (isalnum((unsigned char)*p) || *p == '_') && n + 1 < len)
        out[n++] = *p++;
    out[n] = '\0';
    p = strchr(p, '{');
    if (p == NULL)
        return 1; /* a message without fields */
    p++;
    /* The fields at depth 0 of the body's struct: `name: value, ...}`. */
    while (*p && depth >= 0) {
        const char *name;
        size_t name_len;
        while (*p == ' ' || *p == ',')
            p++;
        if (*p == '}' || *p == '\0')
            break;
        name = p;
        while (isalnum((unsigned char)*p) || *p == '_')
            p++;
        name_len = (size_t)(p - name);
        if (strncmp(p, ": ", 2) != 0)
            break;
        p += 2;
        if (strncmp(p, "Some(\"", 6) == 0 && (p = debug_string(p + 5, &from, &to)) != NULL) {
            add_field(out, len, &n, name, name_len, from, (size_t)(to - from));
            p++; /* the ')' */
        } else if (*p == '"' && (p = debug_string(p, &from, &to)) != NULL) {
            add_field(out, len, &n, name, name_len, from, (size_t)(to - from));
        } else {
            /* Skip a value we do not show, up to the next field. */
            const char *s2;
            for (; *p && !(depth == 0 && (*p == ',' || *p == '}')); p++) {
                if (*p == '"' && (s2 = debug_string(p, &from, &to)) != NULL)
                    p = s2 - 1;
                else if (*p == '(' || *p == '[' || *p == '{')
                    depth++;
                else if (*p == ')' || *p == ']' || *p == '}')
                    depth--;
            }
        }
        if (p == NULL)
            break;
    }
    return 1;
}

/* "<?xml ...?><GctiMsg><CallId>C1</CallId><InitConf DestDN="6002" ReqId="3"/></GctiMsg>"
 * -> call id "C1", summary "InitConf DestDN=6002 ReqId=3" (attributes only). */
static int xml_summary(const char *xml, char *call_id, size_t id_len, char *out, size_t len) {
    const char *p = strstr(xml, "<GctiMsg>");
    size_t n = 0;
    if (p == NULL)
        return 0;
    if (!xml_text(p, "CallId", call_id, id_len))
        call_id[0] = '\0';
    p = strstr(p, "</CallId>");
    if (p == NULL || p[strlen("</CallId>")] != '<')
        return 0;
    p += strlen("</CallId>") + 1;
    /* The message element's name. */
    while (*p && (isalnum((unsigned char)*p) || *p == '_') && n + 1 < len)
        out[n++] = *p++;
    out[n] = '\0';
    /* Its attributes: Name="value" (or 'value'). */
    for (;;) {
        const char *name, *value;
        char quote;
        while (*p == ' ')
            p++;
        if (*p == '\0' || *p == '/' || *p == '>')
            break;
        name = p;
        while (*p && *p != '=' && *p != ' ' && *p != '>')
            p++;
        if (*p != '=' || (p[1] != '"' && p[1] != '\''))
            break;
        quote = p[1];
        value = p + 2;
        p = strchr(value, quote);
        if (p == NULL)
            break;
        add_field(out, len, &n, name, (size_t)(value - 2 - name), value, (size_t)(p - value));
        p++;
    }
    /* Then its simple children, <CalledNum>5000</CalledNum>; a child with
     * children of its own (user data) by its name only. */
    if (*p == '>') {
        p++;
        while (*p == '<' && p[1] != '/') {
            const char *name = p + 1, *text;
            size_t name_len = strcspn(name, " />");
            char close[72];
            if (name[name_len] == '/') { /* <Empty/> */
                p = strchr(name, '>') + 1;
                continue;
            }
            snprintf(close, sizeof close, "</%.*s>", (int)name_len, name);
            text = strchr(name, '>') + 1;
            p = strstr(text, close);
            if (p == NULL)
                break;
            if (memchr(text, '<', (size_t)(p - text)) == NULL)
                add_field(out, len, &n, name, name_len, text, (size_t)(p - text));
            else
                add_field(out, len, &n, name, name_len, "{...}", 5);
            p += strlen(close);
        }
    }
    return 1;
}

/* "CallStatus Event=Held ReqId=3" reads best as "CallStatus Held ReqId=3". */
static void event_first(char *summary, size_t len) {
    char *at = strstr(summary, " Event=");
    char event[64], rest[240];
    size_t event_len;
    if (at == NULL)
        return;
    event_len = strcspn(at + 7, " ");
    snprintf(event, sizeof event, "%.*s", (int)event_len, at + 7);
    snprintf(rest, sizeof rest, "%.*s%s", (int)(at - summary), summary, at + 7 + event_len);
    /* rest = "CallStatus ReqId=3": put the event after the name. */
    {
        size_t name_len = strcspn(rest, " ");
        snprintf(summary, len, "%.*s %s%s", (int)name_len, rest, event, rest + name_len);
    }
}

/* Adds "<tag> <text>" to the transcript of `call_id`. */
static void add_line(demo *d, const char *call_id, const char *tag, const char *text) {
    pthread_mutex_lock(&d->lock);
    if (d->nlines < MAX_LINES) {
        struct line *l = &d->lines[d->nlines++];
        snprintf(l->call_id, sizeof l->call_id, "%s", call_id);
        snprintf(l->text, sizeof l->text, "%s %s", tag, text);
    }
    pthread_cond_broadcast(&d->added);
    pthread_mutex_unlock(&d->lock);
}

/* Notes an application action in the transcript, between the frames. */
static void note(demo *d, const char *call_id, const char *text) {
    add_line(d, call_id, "app ", text);
}

/* The log callback (ivrconf_log_fn). Frame lines go to the transcript, and
 * so do warnings about a call ("call C6: ..."); other warnings and errors
 * are shown at once; the rest is dropped. */
static void on_log(void *userdata, uint32_t level, const char *message) {
    demo *d = (demo *)userdata;
    int outgoing = strncmp(message, "I->S ", 5) == 0;
    int incoming = strncmp(message, "S->I ", 5) == 0;
    char call_id[72], summary[200];

    if (level <= IVRCONF_LOG_WARN) {
        const char *tag = level == IVRCONF_LOG_ERROR ? "err " : "warn";
        size_t id_len = strncmp(message, "call ", 5) == 0 ? strcspn(message + 5, ":") : 0;
        if (id_len > 0 && id_len < sizeof call_id && message[5 + id_len] == ':') {
            snprintf(call_id, sizeof call_id, "%.*s", (int)id_len, message + 5);
            add_line(d, call_id, tag, message + 5 + id_len + 2);
        } else {
            fprintf(stderr, "  [engine %s] %s\n", tag, message);
        }
        return;
    }
    if (!outgoing && !incoming)
        return;
    if (!(outgoing ? xml_summary : debug_summary)(message, call_id, sizeof call_id, summary,
                                                  sizeof summary))
        return; /* keep-alives, and lines in a form this demo does not know */
    event_first(summary, sizeof summary);
    add_line(d, call_id, outgoing ? "I->S" : "S->I", summary);
}

/* The event callback: records the event for main (ex_on_event) and notes
 * what the application sees in the transcript. It runs on the dispatcher
 * thread, like on_log, so the notes fall between the frames in order. A
 * CALL_STATUS is noted only when no op is in flight: the engine reports it
 * and the application has to take note (a member left, the call came back). */
static void on_event(void *userdata, const ivrconf_event *ev) {
    demo *d = (demo *)userdata;
    const char *call_id = ivrconf_event_call_id(ev);
    char text[160];
    uint32_t kind = ivrconf_event_kind(ev);
    if (call_id != NULL && kind == IVRCONF_EVENT_OPERATION_DONE)
        snprintf(text, sizeof text, "=> OPERATION_DONE %s, state %s, %u parties",
                 ex_outcome_name(ivrconf_event_outcome(ev)),
                 ex_state_name(ivrconf_event_call_state(ev)), ivrconf_event_party_count(ev));
    else if (call_id != NULL && kind == IVRCONF_EVENT_CALL_STATUS && ivrconf_event_op_id(ev) == 0)
        snprintf(text, sizeof text, "=> CALL_STATUS %s, state %s, %u parties",
                 ex_status_name(ivrconf_event_status(ev)),
                 ex_state_name(ivrconf_event_call_state(ev)), ivrconf_event_party_count(ev));
    else if (call_id != NULL && kind == IVRCONF_EVENT_CALL_ENDED)
        snprintf(text, sizeof text, "=> CALL_ENDED");
    else
        text[0] = '\0';
    if (text[0] != '\0')
        note(d, call_id, text);
    /* Wake main only now: its next note must come after this one. */
    ex_on_event(userdata, ev);
}

/* Waits until the transcript of `call_id` has a line starting with `prefix`. */
static int wait_line(demo *d, const char *call_id, const char *prefix) {
    struct timespec at;
    size_t i = 0;
    int found = 0;
    ex_deadline(&at, EX_EVENT_TIMEOUT_MS);
    pthread_mutex_lock(&d->lock);
    while (!found) {
        for (; i < d->nlines && !found; i++)
            found = strcmp(d->lines[i].call_id, call_id) == 0 &&
                    strncmp(d->lines[i].text, prefix, strlen(prefix)) == 0;
        if (!found && pthread_cond_timedwait(&d->added, &d->lock, &at) == ETIMEDOUT)
            break;
    }
    pthread_mutex_unlock(&d->lock);
    return found;
}

static void print_transcript(demo *d, const char *call_id) {
    size_t i;
    pthread_mutex_lock(&d->lock);
    for (i = 0; i < d->nlines; i++)
        if (strcmp(d->lines[i].call_id, call_id) == 0)
            printf("    %s\n", d->lines[i].text);
    pthread_mutex_unlock(&d->lock);
}

/* ---- running one scenario ------------------------------------------------------ */

/* The four ways to start an op share one signature. */
typedef ivrconf_result (*start_fn)(ivrconf_engine *, const char *, const char *,
                                   const ivrconf_kv *, size_t, ivrconf_op_id *);

static const struct starter {
    const char *api;     /* for the transcript */
    start_fn start;
    const char *request; /* the transcript line it sends */
} starters[] = {
    [ONE_STEP_CONF] = {"ivrconf_conference_one_step", ivrconf_conference_one_step, "I->S OneStepConf"},
    [CONSULT_CONF] = {"ivrconf_conference_init", ivrconf_conference_init, "I->S InitConf"},
    [ONE_STEP_XFER] = {"ivrconf_transfer_one_step", ivrconf_transfer_one_step, "I->S OneStepXfer"},
    [CONSULT_XFER] = {"ivrconf_transfer_init", ivrconf_transfer_init, "I->S InitXfer"},
};

/* Runs `s` on engine `e`; prints its transcript and outcome; 1 when as expected. */
static int run(demo *d, ivrconf_engine *e, const scenario *s) {
    ex_waiter *w = &d->waiter;
    ivrconf_op_id op = 0;
    ex_event done;
    char text[160];
    int ok = 1;

    printf("\n== %s %s (destination %s)\n", s->name, s->title, s->dest);
    /* Each app line is noted once the frames before it are in: the log
     * lines reach on_log on the dispatcher thread, a little later. */
    note(d, s->name, "ivrconf_call_new");
    EX_CHECK(ivrconf_call_new(e, s->name, "5000", NULL, NULL, NULL, 0));
    ok = wait_line(d, s->name, "I->S NewCall");
    snprintf(text, sizeof text, "%s(%s)", starters[s->kind].api, s->dest);
    note(d, s->name, text);
    EX_CHECK(starters[s->kind].start(e, s->name, s->dest, NULL, 0, &op));
    ok = wait_line(d, s->name, starters[s->kind].request) && ok;

    /* An event comes after the log line of the frame that caused it. */
    if (s->action == COMPLETE_ANSWERED || s->action == CANCEL_ANSWERED)
        ex_wait_status(w, s->name, IVRCONF_STATUS_ESTABLISHED);
    else if (s->action == COMPLETE_RINGING)
        ex_wait_status(w, s->name, IVRCONF_STATUS_RINGING);
    if (s->action == CANCEL_ANSWERED) {
        note(d, s->name, "ivrconf_consult_cancel");
        EX_CHECK(ivrconf_consult_cancel(e, s->name));
    } else if (s->action != WAIT) {
        int conf = s->kind == CONSULT_CONF;
        note(d, s->name, conf ? "ivrconf_conference_complete" : "ivrconf_transfer_complete");
        EX_CHECK(conf ? ivrconf_conference_complete(e, s->name) : ivrconf_transfer_complete(e, s->name));
    }

    done = ex_wait_done(w, op);
    ok = ok && done.outcome == s->outcome && done.call_state == s->state &&
         (s->parties == 0 || done.party_count == s->parties);

    if (s->then_status) {
        ex_match m = {IVRCONF_EVENT_CALL_STATUS, s->name, 0, s->then_status};
        ex_event then;
        size_t from = 0;
        ok = ok && ex_wait(w, &from, &m, EX_EVENT_TIMEOUT_MS, &then) &&
             then.call_state == IVRCONF_CALL_STATE_ACTIVE && then.party_count == 2;
    }

    /* After a transfer the server (or the engine's own timer) ends the call;
     * otherwise the IVR hangs up. */
    if (done.call_state != IVRCONF_CALL_STATE_TRANSFERRED) {
        note(d, s->name, "ivrconf_call_end");
        EX_CHECK(ivrconf_call_end(e, s->name));
    }
    ex_wait_ended(w, s->name);

    print_transcript(d, s->name);
    printf("  %s: %s %s, state %s\n", ok ? "ok" : "UNEXPECTED", s->name,
           ex_outcome_name(done.outcome), ex_state_name(done.call_state));
    if (!ok)
        printf("  expected %s, state %s, %u parties\n", ex_outcome_name(s->outcome),
               ex_state_name(s->state), s->parties);
    return ok;
}

int main(void) {
    static demo d; /* large: keep it off the stack */
    char server[64];
    ivrconf_sim *sim = ex_sim_start(server, sizeof server);
    ivrconf_config *cfg = ex_config_new(server);
    ivrconf_engine *engine = NULL;
    size_t i, n = sizeof scenarios / sizeof scenarios[0];
    size_t failed = 0;

    /* Like a real server, the simulator ends a transferred call itself. */
    EX_CHECK(ivrconf_sim_set(sim, "end_after_xfer", "endcall"));

    ex_waiter_init(&d.waiter, 0);
    pthread_mutex_init(&d.lock, NULL);
    ex_cond_init(&d.added);
    /* trace: the engine logs every frame; on_log keeps them. */
    EX_CHECK(ivrconf_config_set(cfg, "log_level", "trace"));
    EX_CHECK(ivrconf_engine_new(cfg, on_event, on_log, &d, ex_on_free, &engine));
    ivrconf_config_free(cfg);
    EX_CHECK(ivrconf_engine_wait_ready(engine, EX_READY_TIMEOUT_MS));
    printf("ivrconf %s demo against the simulator at %s\n", ivrconf_version(), server);

    for (i = 0; i < n; i++)
        if (!run(&d, engine, &scenarios[i]))
            failed++;

    ivrconf_engine_free(engine);
    ivrconf_sim_free(sim);
    pthread_cond_destroy(&d.added);
    pthread_mutex_destroy(&d.lock);
    ex_waiter_destroy(&d.waiter);

    printf("\n%zu of %zu flows ended as FLOWS.md says%s\n", n - failed, n,
           failed ? "" : ": demo ok");
    return failed ? 1 : 0;
}

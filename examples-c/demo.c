/*
 * demo.c -- `make demo`: every conference and transfer flow (C1-C6, T1-T4
 * and their variants), run by the library against the bundled simulator,
 * one call per flow, each shown as its call trace: what the application
 * called, every frame on the wire in both directions, every event, timer and
 * warning, in order (the flight recorder, docs/TRACE.md).
 *
 * Each flow's trace comes from ivrconf_call_trace(IVRCONF_TRACE_TEXT) once
 * the call has ended; the call id of each flow is its name.
 *
 * Usage: demo [DIR]. With DIR, it also writes DIR/<flow>.jsonl (the trace
 * as JSON lines, for `ivrconf-trace render`) and DIR/index.html (every flow
 * on one page: its picture DIR/<flow>.svg, which `make demo` renders after
 * the run, and its text).
 *
 * Exit status: 0 when every flow ended with the outcome, call state and
 * party count it must end with; 1 otherwise.
 */
#define _POSIX_C_SOURCE 200809L

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
     * Retrieved that follows a CallError (C6). */
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

#define N_SCENARIOS (sizeof scenarios / sizeof scenarios[0])

/* ---- running one flow ---------------------------------------------------- */

/* The four ways to start an op share one signature. */
typedef ivrconf_result (*start_fn)(ivrconf_engine *, const char *, const char *,
                                   const ivrconf_kv *, size_t, ivrconf_op_id *);

static const start_fn starters[] = {
    [ONE_STEP_CONF] = ivrconf_conference_one_step,
    [CONSULT_CONF] = ivrconf_conference_init,
    [ONE_STEP_XFER] = ivrconf_transfer_one_step,
    [CONSULT_XFER] = ivrconf_transfer_init,
};

/* What a flow ended with, for the summary and the HTML page. */
typedef struct result {
    int ok;
    ex_event done;
    char *trace; /* the TEXT trace, from the library: ivrconf_string_free() */
} result;

/* Runs `s` on engine `e` and waits until its call has ended. */
static result run(ex_waiter *w, ivrconf_engine *e, const scenario *s) {
    ivrconf_op_id op = 0;
    result r = {0};

    EX_CHECK(ivrconf_call_new(e, s->name, "5000", NULL, NULL, NULL, 0));
    EX_CHECK(starters[s->kind](e, s->name, s->dest, NULL, 0, &op));

    if (s->action == COMPLETE_ANSWERED || s->action == CANCEL_ANSWERED)
        ex_wait_status(w, s->name, IVRCONF_STATUS_ESTABLISHED);
    else if (s->action == COMPLETE_RINGING)
        ex_wait_status(w, s->name, IVRCONF_STATUS_RINGING);
    if (s->action == CANCEL_ANSWERED) {
        EX_CHECK(ivrconf_consult_cancel(e, s->name));
    } else if (s->action != WAIT) {
        EX_CHECK(s->kind == CONSULT_CONF ? ivrconf_conference_complete(e, s->name)
                                         : ivrconf_transfer_complete(e, s->name));
    }

    r.done = ex_wait_done(w, op);
    r.ok = r.done.outcome == s->outcome && r.done.call_state == s->state &&
           (s->parties == 0 || r.done.party_count == s->parties);

    if (s->then_status) {
        ex_match m = {IVRCONF_EVENT_CALL_STATUS, s->name, 0, s->then_status};
        ex_event then;
        size_t from = 0;
        r.ok = r.ok && ex_wait(w, &from, &m, EX_EVENT_TIMEOUT_MS, &then) &&
               then.call_state == IVRCONF_CALL_STATE_ACTIVE && then.party_count == 2;
    }

    /* After a transfer the server ends the call; otherwise the IVR hangs up. */
    if (r.done.call_state != IVRCONF_CALL_STATE_TRANSFERRED)
        EX_CHECK(ivrconf_call_end(e, s->name));
    ex_wait_ended(w, s->name);

    /* The trace of an ended call is kept (the trace_keep_ended most recent). */
    EX_CHECK(ivrconf_call_trace(e, s->name, IVRCONF_TRACE_TEXT, &r.trace));
    return r;
}

/* Prints `text` with every line indented by `indent`. */
static void print_indented(const char *text, const char *indent) {
    while (*text) {
        size_t len = strcspn(text, "\n");
        printf("%s%.*s\n", indent, (int)len, text);
        text += len + (text[len] == '\n');
    }
}

static void print_flow(const scenario *s, const result *r) {
    printf("\n== %s %s (destination %s)\n", s->name, s->title, s->dest);
    print_indented(r->trace, "    ");
    printf("  %s: %s %s, state %s\n", r->ok ? "ok" : "UNEXPECTED", s->name,
           ex_outcome_name(r->done.outcome), ex_state_name(r->done.call_state));
    if (!r->ok)
        printf("  expected %s, state %s, %u parties\n", ex_outcome_name(s->outcome),
               ex_state_name(s->state), s->parties);
}

/* ---- the files: JSON lines and one HTML page ------------------------------ */

static FILE *open_out(const char *dir, const char *name, const char *ext) {
    char path[512];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s%s", dir, name, ext);
    f = fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "demo: cannot write %s: %s\n", path, strerror(errno));
        exit(1);
    }
    return f;
}

static void close_out(FILE *f, const char *dir, const char *name, const char *ext) {
    if (ferror(f) | fclose(f)) {
        fprintf(stderr, "demo: error writing %s/%s%s\n", dir, name, ext);
        exit(1);
    }
}

/* DIR/<flow>.jsonl: the trace in the form `ivrconf-trace render` reads. */
static void write_jsonl(ivrconf_engine *e, const char *dir, const scenario *s) {
    char *jsonl = NULL;
    FILE *f = open_out(dir, s->name, ".jsonl");
    EX_CHECK(ivrconf_call_trace(e, s->name, IVRCONF_TRACE_JSONL, &jsonl));
    fputs(jsonl, f);
    ivrconf_string_free(jsonl);
    close_out(f, dir, s->name, ".jsonl");
}

static void html_text(FILE *f, const char *text) {
    for (; *text; text++) {
        switch (*text) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*text, f); break;
        }
    }
}

/* DIR/index.html: every flow with its picture (<flow>.svg, next to the page)
 * and its TEXT trace. No scripts, nothing fetched from elsewhere. */
static void write_index(const char *dir, const result *results, size_t passed) {
    FILE *f = open_out(dir, "index", ".html");
    size_t i;
    fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
               "<title>ivrconf %s demo: every flow</title>\n"
               "<style>\n"
               "body { font-family: sans-serif; margin: 2em; max-width: 80em; }\n"
               "pre { background: #f6f6f6; padding: 0.6em; overflow-x: auto; }\n"
               "img { max-width: 100%%; border: 1px solid #ddd; }\n"
               ".ok { color: #1a7f37; } .unexpected { color: #cf222e; }\n"
               "</style>\n</head>\n<body>\n",
            ivrconf_version());
    fprintf(f, "<h1>ivrconf %s: every flow against the bundled simulator</h1>\n",
            ivrconf_version());
    fprintf(f, "<p>%zu of %zu flows ended as expected. Each flow is one call; its "
               "trace shows what the application called, every frame on the wire "
               "(I-&gt;S sent, S-&gt;I received), every event, timer and warning. "
               "Frames the engine sent on its own are dashed and marked "
               "(engine).</p>\n<ul>\n",
            passed, N_SCENARIOS);
    for (i = 0; i < N_SCENARIOS; i++)
        fprintf(f, "<li><a href=\"#%s\">%s</a> %s</li>\n", scenarios[i].name,
                scenarios[i].name, scenarios[i].title);
    fputs("</ul>\n", f);
    for (i = 0; i < N_SCENARIOS; i++) {
        const scenario *s = &scenarios[i];
        const result *r = &results[i];
        fprintf(f, "<section id=\"%s\">\n<h2>%s %s</h2>\n", s->name, s->name, s->title);
        fprintf(f, "<p>Destination <code>%s</code>: <span class=\"%s\">%s, %s, state %s, "
                   "%u parties</span></p>\n",
                s->dest, r->ok ? "ok" : "unexpected", r->ok ? "ok" : "UNEXPECTED",
                ex_outcome_name(r->done.outcome), ex_state_name(r->done.call_state),
                r->done.party_count);
        fprintf(f, "<p><img src=\"%s.svg\" alt=\"sequence diagram of flow %s\"></p>\n",
                s->name, s->name);
        fputs("<pre>", f);
        html_text(f, r->trace);
        fputs("</pre>\n</section>\n", f);
    }
    fputs("</body>\n</html>\n", f);
    close_out(f, dir, "index", ".html");
}

/* ---- main ------------------------------------------------------------------ */

/* Warnings and errors that concern no call (those about a call are in its
 * trace) go to stderr; the rest of the log is dropped. */
static void on_log(void *userdata, uint32_t level, const char *message) {
    (void)userdata;
    if (level <= IVRCONF_LOG_WARN)
        fprintf(stderr, "  [engine %s] %s\n", level == IVRCONF_LOG_ERROR ? "error" : "warn",
                message);
}

int main(int argc, char **argv) {
    static result results[N_SCENARIOS];
    const char *dir = argc > 1 ? argv[1] : NULL;
    char server[64];
    ivrconf_sim *sim = ex_sim_start(server, sizeof server);
    ivrconf_config *cfg = ex_config_new(server);
    ivrconf_engine *engine = NULL;
    ex_waiter waiter;
    size_t i, passed = 0;

    /* Like a real server, the simulator ends a transferred call itself. */
    EX_CHECK(ivrconf_sim_set(sim, "end_after_xfer", "endcall"));

    ex_waiter_init(&waiter, 0);
    EX_CHECK(ivrconf_engine_new(cfg, ex_on_event, on_log, &waiter, ex_on_free, &engine));
    ivrconf_config_free(cfg);
    EX_CHECK(ivrconf_engine_wait_ready(engine, EX_READY_TIMEOUT_MS));
    printf("ivrconf %s demo against the bundled simulator\n", ivrconf_version());

    for (i = 0; i < N_SCENARIOS; i++) {
        results[i] = run(&waiter, engine, &scenarios[i]);
        print_flow(&scenarios[i], &results[i]);
        if (dir != NULL)
            write_jsonl(engine, dir, &scenarios[i]);
        passed += results[i].ok ? 1 : 0;
    }
    if (dir != NULL)
        write_index(dir, results, passed);

    ivrconf_engine_free(engine);
    ivrconf_sim_free(sim);
    ex_waiter_destroy(&waiter);
    for (i = 0; i < N_SCENARIOS; i++)
        ivrconf_string_free(results[i].trace);

    printf("\n%zu of %zu flows ended as expected%s\n", passed, N_SCENARIOS,
           passed == N_SCENARIOS ? ": demo ok" : "");
    return passed == N_SCENARIOS ? 0 : 1;
}

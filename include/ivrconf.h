/*
 * ivrconf.h -- the C API of ivrconf.
 *
 * GENERATED with cbindgen from the Rust sources: DO NOT EDIT.
 * Change the Rust code and run `make header`; the header is committed and
 * `make test` fails when it differs from what the code generates.
 */

#ifndef IVRCONF_H
#define IVRCONF_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define IVRCONF_VERSION_MAJOR 0
#define IVRCONF_VERSION_MINOR 2
#define IVRCONF_VERSION_PATCH 0


/*
 Logged in to a server; the text names it and its version.
 */
#define IVRCONF_EVENT_SESSION_UP 1

/*
 The logged-in session was lost.
 */
#define IVRCONF_EVENT_SESSION_DOWN 2

/*
 The server reported a documented `CallStatus` for a call.
 */
#define IVRCONF_EVENT_CALL_STATUS 3

/*
 An operation ended (exactly once per op id).
 */
#define IVRCONF_EVENT_OPERATION_DONE 4

/*
 A call ended (once per call, its last event).
 */
#define IVRCONF_EVENT_CALL_ENDED 5

/*
 An internal thread failed; the text gives the reason.
 */
#define IVRCONF_EVENT_ENGINE_ERROR 6

/*
 The consult or one-step destination is being dialled.
 */
#define IVRCONF_STATUS_DIALING 1

/*
 The destination is ringing.
 */
#define IVRCONF_STATUS_RINGING 2

/*
 The destination answered (a consult leg is up).
 */
#define IVRCONF_STATUS_ESTABLISHED 3

/*
 The original call is back with the IVR (after a retrieve, or restored by the server).
 */
#define IVRCONF_STATUS_RETRIEVED 4

/*
 The destination is busy.
 */
#define IVRCONF_STATUS_BUSY 5

/*
 The caller was put on hold for a consult.
 */
#define IVRCONF_STATUS_HELD 6

/*
 A party joined the conference.
 */
#define IVRCONF_STATUS_CONF_PARTY_ADD 7

/*
 A party left the conference.
 */
#define IVRCONF_STATUS_CONF_PARTY_DEL 8

/*
 The transfer is done; the IVR is out of the call.
 */
#define IVRCONF_STATUS_XFER_COMPLETE 9

/*
 A party (the consult leg, or the caller) hung up.
 */
#define IVRCONF_STATUS_RELEASED 10

/*
 Conference joined (`ConfPartyAdd`) / transfer done (`XferComplete`).
 */
#define IVRCONF_OUTCOME_COMPLETED 1

/*
 Consult destination busy; the engine retrieved the original call.
 */
#define IVRCONF_OUTCOME_BUSY 2

/*
 Consult leg unanswered for `no_answer_timeout_ms`; call retrieved.
 */
#define IVRCONF_OUTCOME_NO_ANSWER 3

/*
 The server sent `CallError`; it restored the call itself.
 */
#define IVRCONF_OUTCOME_FAILED 4

/*
 `consult_cancel`, or `engine_shutdown` / `engine_free`.
 */
#define IVRCONF_OUTCOME_CANCELLED 5

/*
 The consulted party hung up before completion; call retrieved.
 */
#define IVRCONF_OUTCOME_CONSULT_RELEASED 6

/*
 The engine's own `RetrieveCall` got `CallError`; the caller may be held.
 */
#define IVRCONF_OUTCOME_RETRIEVE_FAILED 7

/*
 The call ended while the op was in flight.
 */
#define IVRCONF_OUTCOME_CALL_ENDED 8

/*
 No server reaction in time.
 */
#define IVRCONF_OUTCOME_TIMEOUT 9

/*
 The connection to the server was lost while the op was in flight.
 */
#define IVRCONF_OUTCOME_LINK_LOST 10

/*
 `CallError` named a request this library does not know (its text is in the event text).
 */
#define IVRCONF_REQUEST_UNKNOWN 1

/*
 The server does not know the call.
 */
#define IVRCONF_REQUEST_NO_SUCH_CALL 2

/*
 The failed request was `OneStepXfer`.
 */
#define IVRCONF_REQUEST_ONE_STEP_XFER 3

/*
 The failed request was `OneStepConf`.
 */
#define IVRCONF_REQUEST_ONE_STEP_CONF 4

/*
 The failed request was `InitConf`.
 */
#define IVRCONF_REQUEST_INIT_CONF 5

/*
 The failed request was `CompleteConf`.
 */
#define IVRCONF_REQUEST_COMPLETE_CONF 6

/*
 The failed request was `InitXfer`.
 */
#define IVRCONF_REQUEST_INIT_XFER 7

/*
 The failed request was `CompleteXfer`.
 */
#define IVRCONF_REQUEST_COMPLETE_XFER 8

/*
 The failed request was `RetrieveCall` (sent by the engine).
 */
#define IVRCONF_REQUEST_RETRIEVE_CALL 9

/*
 The server named `MakeCall` (never sent by this library).
 */
#define IVRCONF_REQUEST_MAKE_CALL 10

/*
 The server named `AgentControl` (never sent by this library).
 */
#define IVRCONF_REQUEST_AGENT_CONTROL 11

/*
 The server refused the request as not allowed in the call's state.
 */
#define IVRCONF_REQUEST_NOT_ALLOWED 12

/*
 The IVR is with the caller; party count 2.
 */
#define IVRCONF_CALL_STATE_ACTIVE 1

/*
 Original held, consult leg dialing/ringing.
 */
#define IVRCONF_CALL_STATE_CONSULTING 2

/*
 Consult leg answered; waiting for complete or cancel.
 */
#define IVRCONF_CALL_STATE_CONSULT_ESTABLISHED 3

/*
 Held, no consult leg.
 */
#define IVRCONF_CALL_STATE_HELD 4

/*
 Party count >= 3.
 */
#define IVRCONF_CALL_STATE_CONFERENCED 5

/*
 Transferred away; the IVR is out of the call.
 */
#define IVRCONF_CALL_STATE_TRANSFERRED 6

/*
 Over.
 */
#define IVRCONF_CALL_STATE_ENDED 7

/*
 `ivrconf_conference_one_step`: add a party in one step.
 */
#define IVRCONF_OP_CONFERENCE_ONE_STEP 1

/*
 `ivrconf_conference_init`: consult a party, then complete or cancel.
 */
#define IVRCONF_OP_CONFERENCE_CONSULT 2

/*
 `ivrconf_transfer_one_step`: hand the call over in one step.
 */
#define IVRCONF_OP_TRANSFER_ONE_STEP 3

/*
 `ivrconf_transfer_init`: consult a party, then complete or cancel.
 */
#define IVRCONF_OP_TRANSFER_CONSULT 4

/*
 For `ivrconf_call_can` only.
 */
#define IVRCONF_OP_CONFERENCE_COMPLETE 5

/*
 For `ivrconf_call_can` only.
 */
#define IVRCONF_OP_TRANSFER_COMPLETE 6

/*
 For `ivrconf_call_can` only.
 */
#define IVRCONF_OP_CONSULT_CANCEL 7

/*
 Configuration errors (login refused), protocol errors, internal failures.
 */
#define IVRCONF_LOG_ERROR 1

/*
 Link losses, failed attempts, messages dropped or not understood.
 */
#define IVRCONF_LOG_WARN 2

/*
 Connections, logins, server notices.
 */
#define IVRCONF_LOG_INFO 3

/*
 Every call-state change and event.
 */
#define IVRCONF_LOG_DEBUG 4

/*
 Every frame in and out, its bytes as on the wire.
 */
#define IVRCONF_LOG_TRACE 5

/*
 One line per entry: `+<ms>.<µs> <who> <what>`.
 */
#define IVRCONF_TRACE_TEXT 1

/*
 A Mermaid `sequenceDiagram` (App, ivrconf, IVR Server).
 */
#define IVRCONF_TRACE_MERMAID 2

/*
 JSON lines: a header object, then one object per entry (schema
 `"ivrconf_trace":1`, documented in docs/TRACE.md).
 */
#define IVRCONF_TRACE_JSONL 3

/*
 Engine settings, built with `ivrconf_config_set` and copied by
 `ivrconf_engine_new`. Not synchronised: use one from one thread at a time.
 */
typedef struct ivrconf_config ivrconf_config;

/*
 A running engine (opaque). Internally synchronised: every function may
 be called on it from any thread, concurrently, and from inside callbacks.
 */
typedef struct ivrconf_engine ivrconf_engine;

/*
 One application event (opaque). Strings it returns live as long as it.
 */
typedef struct ivrconf_event ivrconf_event;

/*
 An IVR Server simulator listening on a TCP port (opaque). Created by
 `ivrconf_sim_new`, released by `ivrconf_sim_free`. Internally
 synchronised: every function may be called from any thread.
 */
typedef struct ivrconf_sim ivrconf_sim;

/*
 Outcome of a fallible call: `IVRCONF_OK` (0) or one of `IVRCONF_ERR_*`.
 */
typedef uint32_t ivrconf_result;

/*
 A key/value pair of user data; both strings NUL-terminated UTF-8.
 */
typedef struct ivrconf_kv {
  const char *key;
  const char *value;
} ivrconf_kv;

/*
 Operation id: never 0.
 */
typedef uint64_t ivrconf_op_id;

/*
 Event callback: `event` is valid only during the call (keep it with
 `ivrconf_event_clone`). Runs on the engine's one dispatcher thread, never
 two at once and never under an engine lock; it may call any `ivrconf_*`
 function on the engine (not `ivrconf_engine_next_event`), and while it
 runs, later events wait (and, past `event_queue_max`, reading stops).
 */
typedef void (*ivrconf_event_fn)(void *userdata, const struct ivrconf_event *event);

/*
 Log callback: `level` is `IVRCONF_LOG_*`; `message` valid during the
 call. Runs on the same dispatcher thread as the event callback, in order
 with the events; the same rules apply.
 */
typedef void (*ivrconf_log_fn)(void *userdata, uint32_t level, const char *message);

/*
 Called once with the userdata after the last callback, when the engine
 is freed, on the engine's dispatcher thread; never when
 `ivrconf_engine_new` fails.
 */
typedef void (*ivrconf_free_fn)(void *userdata);

/*
 The engine's counters (`ivrconf_engine_stats`). Set `struct_size` to
 `sizeof(ivrconf_stats)` before the call. Fields are only ever added at
 the end. Every counter counts from the engine's start, except
 `calls_live` and `events_queued` (now).
 */
typedef struct ivrconf_stats {
  /*
   In: `sizeof(ivrconf_stats)` of the caller's header. Out: the bytes
   the library filled (smaller when the library is older than the
   header: the fields past it are left as they were).
   */
  uint32_t struct_size;
  /*
   Frames received from the server (keep-alives, and frames that do
   not decode, included).
   */
  uint64_t frames_in;
  /*
   Bytes read from the server.
   */
  uint64_t bytes_in;
  /*
   Frames handed to the connection for writing (keep-alive answers
   included).
   */
  uint64_t frames_out;
  /*
   Bytes of those frames.
   */
  uint64_t bytes_out;
  /*
   Received frames whose XML did not decode, plus framing errors (each
   of which ends its connection).
   */
  uint64_t decode_errors;
  /*
   TCP connection attempts started.
   */
  uint64_t connect_attempts;
  /*
   Successful logins (`SESSION_UP` events).
   */
  uint64_t logins;
  /*
   Logged-in sessions lost (`SESSION_DOWN` events).
   */
  uint64_t link_losses;
  /*
   Calls live now.
   */
  uint64_t calls_live;
  /*
   Calls announced (`ivrconf_call_new` accepted).
   */
  uint64_t calls_total;
  /*
   Operations started (an op id handed out).
   */
  uint64_t ops_started;
  /*
   Operations ended `IVRCONF_OUTCOME_COMPLETED`.
   */
  uint64_t ops_completed;
  /*
   Operations ended `IVRCONF_OUTCOME_BUSY`.
   */
  uint64_t ops_busy;
  /*
   Operations ended `IVRCONF_OUTCOME_NO_ANSWER`.
   */
  uint64_t ops_no_answer;
  /*
   Operations ended `IVRCONF_OUTCOME_FAILED`.
   */
  uint64_t ops_failed;
  /*
   Operations ended `IVRCONF_OUTCOME_CANCELLED`.
   */
  uint64_t ops_cancelled;
  /*
   Operations ended `IVRCONF_OUTCOME_CONSULT_RELEASED`.
   */
  uint64_t ops_consult_released;
  /*
   Operations ended `IVRCONF_OUTCOME_RETRIEVE_FAILED`.
   */
  uint64_t ops_retrieve_failed;
  /*
   Operations ended `IVRCONF_OUTCOME_CALL_ENDED`.
   */
  uint64_t ops_call_ended;
  /*
   Operations ended `IVRCONF_OUTCOME_TIMEOUT`.
   */
  uint64_t ops_timeout;
  /*
   Operations ended `IVRCONF_OUTCOME_LINK_LOST`.
   */
  uint64_t ops_link_lost;
  /*
   Events and log lines handed to the application and not taken yet
   (callbacks not yet returned, or events not yet read in poll mode).
   */
  uint64_t events_queued;
  /*
   The most that were ever waiting at once.
   */
  uint64_t events_queued_max;
  /*
   Times the queue reached `event_queue_max` (each time the engine
   paused reading from the server).
   */
  uint64_t event_queue_full;
} ivrconf_stats;

/*
 Success.
 */
#define IVRCONF_OK 0

/*
 A required pointer argument was NULL.
 */
#define IVRCONF_ERR_NULL_ARGUMENT 1

/*
 An argument was malformed: invalid UTF-8, not Latin-1, control character,
 too long, or an unknown enum value.
 */
#define IVRCONF_ERR_INVALID_ARGUMENT 2

/*
 `ivrconf_config_set` with a key that does not exist.
 */
#define IVRCONF_ERR_UNKNOWN_KEY 3

/*
 The configuration as a whole is unusable (missing or inconsistent keys).
 */
#define IVRCONF_ERR_CONFIG 4

/*
 No live call has this id.
 */
#define IVRCONF_ERR_UNKNOWN_CALL 5

/*
 A live call already has this id.
 */
#define IVRCONF_ERR_CALL_EXISTS 6

/*
 The engine is not logged in to a server.
 */
#define IVRCONF_ERR_NOT_CONNECTED 7

/*
 The call already has an operation in flight.
 */
#define IVRCONF_ERR_OPERATION_PENDING 8

/*
 The call's state (or the engine's mode) does not allow this now.
 */
#define IVRCONF_ERR_INVALID_STATE 9

/*
 A wait ran out of time.
 */
#define IVRCONF_ERR_TIMEOUT 10

/*
 The engine has been shut down.
 */
#define IVRCONF_ERR_SHUT_DOWN 11

/*
 An internal error (a caught panic, or the core thread has died).
 */
#define IVRCONF_ERR_PANIC 12

/*
 An operating-system error (for example a listen address in use).
 */
#define IVRCONF_ERR_IO 13

#ifdef __cplusplus
extern "C" {
#endif // __cplusplus

/*
 Announces a call on an IVR port (`NewCall`). `call_id` is chosen by the
 driver (1-64 printable Latin-1 characters, unique among live calls);
 `dnis`, `ani` may be NULL (or empty: left out); `udata` may be NULL when
 `udata_len` is 0.
 */
ivrconf_result ivrconf_call_new(struct ivrconf_engine *e, const char *call_id, const char *called_num, const char *dnis, const char *ani, const struct ivrconf_kv *udata, size_t udata_len);

/*
 Ends a call: sends `EndCall` (or ends it locally when not logged in); an
 operation in flight ends `CALL_ENDED`; a `CALL_ENDED` event follows and
 the id is free again when this returns.
 */
ivrconf_result ivrconf_call_end(struct ivrconf_engine *e, const char *call_id);

/*
 The call's current state (`IVRCONF_CALL_STATE_*`), from local state
 (works while disconnected).
 */
ivrconf_result ivrconf_call_state(struct ivrconf_engine *e, const char *call_id, uint32_t *state_out);

/*
 `IVRCONF_OK` when `op_kind` (`IVRCONF_OP_*`) may start now, else the code
 starting it would return (with the last error set). Unknown kind:
 `IVRCONF_ERR_INVALID_ARGUMENT`.
 */
ivrconf_result ivrconf_call_can(struct ivrconf_engine *e, const char *call_id, uint32_t op_kind);

/*
 Attaches `userdata` to the live call `call_id`: every event of the call
 produced from now on carries it (`ivrconf_event_call_userdata`); NULL
 clears it. The library never dereferences it. Works in every session
 state. Unknown call: `IVRCONF_ERR_UNKNOWN_CALL`.
 */
ivrconf_result ivrconf_call_set_userdata(struct ivrconf_engine *e, const char *call_id, void *userdata);

/*
 One-step conference (`OneStepConf`): adds `dest` to the call. The op id
 is written to `op_out`; exactly one `OPERATION_DONE` follows.
 */
ivrconf_result ivrconf_conference_one_step(struct ivrconf_engine *e, const char *call_id, const char *dest, const struct ivrconf_kv *udata, size_t udata_len, ivrconf_op_id *op_out);

/*
 Consult conference (`InitConf`): holds the caller and dials `dest`;
 continue with `ivrconf_conference_complete` or `ivrconf_consult_cancel`.
 */
ivrconf_result ivrconf_conference_init(struct ivrconf_engine *e, const char *call_id, const char *dest, const struct ivrconf_kv *udata, size_t udata_len, ivrconf_op_id *op_out);

/*
 Completes the consult conference (`CompleteConf`); allowed before the
 consulted party answers. No new op id.
 */
ivrconf_result ivrconf_conference_complete(struct ivrconf_engine *e, const char *call_id);

/*
 One-step (blind) transfer (`OneStepXfer`) to `dest`.
 */
ivrconf_result ivrconf_transfer_one_step(struct ivrconf_engine *e, const char *call_id, const char *dest, const struct ivrconf_kv *udata, size_t udata_len, ivrconf_op_id *op_out);

/*
 Consult transfer (`InitXfer`): holds the caller and dials `dest`;
 continue with `ivrconf_transfer_complete` or `ivrconf_consult_cancel`.
 */
ivrconf_result ivrconf_transfer_init(struct ivrconf_engine *e, const char *call_id, const char *dest, const struct ivrconf_kv *udata, size_t udata_len, ivrconf_op_id *op_out);

/*
 Completes the consult transfer (`CompleteXfer`). No new op id.
 */
ivrconf_result ivrconf_transfer_complete(struct ivrconf_engine *e, const char *call_id);

/*
 Cancels the consult in progress (`RetrieveCall`); the op ends `CANCELLED`
 once the caller is retrieved.
 */
ivrconf_result ivrconf_consult_cancel(struct ivrconf_engine *e, const char *call_id);

/*
 Creates a configuration with every default of the contract.
 */
ivrconf_result ivrconf_config_new(struct ivrconf_config **out);

/*
 Sets `key` to `value` (text). Unknown key: `IVRCONF_ERR_UNKNOWN_KEY`; a
 value breaking the key's rule: `IVRCONF_ERR_INVALID_ARGUMENT` (the last
 error names the key). `server` appends; other keys replace.
 */
ivrconf_result ivrconf_config_set(struct ivrconf_config *cfg, const char *key, const char *value);

/*
 Frees a configuration; NULL is a no-op.
 */
void ivrconf_config_free(struct ivrconf_config *cfg);

/*
 Validates `cfg` (missing `server`/`client_name` or reconnect_min_ms >
 reconnect_max_ms: `IVRCONF_ERR_CONFIG`), copies it, starts the engine's
 threads and begins connecting in the background; never blocks on the
 network. `on_event` NULL selects poll mode. `free_userdata` (may be NULL)
 runs exactly once, after the last callback, during `ivrconf_engine_free`.
 */
ivrconf_result ivrconf_engine_new(const struct ivrconf_config *cfg, ivrconf_event_fn on_event, ivrconf_log_fn on_log, void *userdata, ivrconf_free_fn free_userdata, struct ivrconf_engine **out);

/*
 Blocks until the engine is logged in (`IVRCONF_OK`) or `timeout_ms`
 passes (`IVRCONF_ERR_TIMEOUT`, with the last error naming the last
 connection failure, e.g. "... last failure: connection attempt to
 10.1.2.3:7000 failed: ... Connection refused").
 */
ivrconf_result ivrconf_engine_wait_ready(struct ivrconf_engine *e, uint32_t timeout_ms);

/*
 Changes the level of the lines the engine logs (`IVRCONF_LOG_*`), at
 once: to the `on_log` callback, or to stderr under `IVRCONF_LOG`.
 `IVRCONF_ERR_INVALID_ARGUMENT` for a value that is no level.
 */
ivrconf_result ivrconf_engine_set_log_level(struct ivrconf_engine *e, uint32_t level);

/*
 Stops intake (later calls get `IVRCONF_ERR_SHUT_DOWN`); every operation
 in flight ends with `OPERATION_DONE` `CANCELLED`; nothing is sent; no
 `CALL_ENDED` or `SESSION_DOWN` follows. Safe from inside a callback.
 */
ivrconf_result ivrconf_engine_shutdown(struct ivrconf_engine *e);

/*
 Shuts down if needed, delivers the remaining events (callback mode; in
 poll mode unread events are discarded), joins the threads, runs
 `free_userdata` once and frees. NULL is a no-op. From outside a callback
 no callback runs after it returns; from inside one it returns at once and
 the rest runs after that callback returns. Calls other threads have in
 progress on the engine end first (a blocked `ivrconf_engine_next_event`
 or `ivrconf_engine_wait_ready` is woken with `IVRCONF_ERR_SHUT_DOWN`);
 calling the engine after `ivrconf_engine_free` has begun is an error of
 the application (the handle may already be gone).
 */
void ivrconf_engine_free(struct ivrconf_engine *e);

/*
 Poll mode: the oldest queued event (`IVRCONF_OK`, free it with
 `ivrconf_event_free`) or `IVRCONF_ERR_TIMEOUT` after `timeout_ms`. After
 `ivrconf_engine_shutdown` the events still queued (the CANCELLED ones
 included) are returned, then `IVRCONF_ERR_SHUT_DOWN` at once, which also
 wakes a reader blocked here. In callback mode: `IVRCONF_ERR_INVALID_STATE`.
 */
ivrconf_result ivrconf_engine_next_event(struct ivrconf_engine *e, uint32_t timeout_ms, struct ivrconf_event **out);

/*
 The event kind (`IVRCONF_EVENT_*`); 0 for NULL.
 */
uint32_t ivrconf_event_kind(const struct ivrconf_event *ev);

/*
 The call id; NULL for session and engine events (and for NULL).
 */
const char *ivrconf_event_call_id(const struct ivrconf_event *ev);

/*
 The op id: for `OPERATION_DONE` the op that ended; for `CALL_STATUS` the
 op in flight on the call when the status arrived; 0 when none.
 */
ivrconf_op_id ivrconf_event_op_id(const struct ivrconf_event *ev);

/*
 The kind (`IVRCONF_OP_*`) of the op `ivrconf_event_op_id` names; 0 when
 none.
 */
uint32_t ivrconf_event_op_kind(const struct ivrconf_event *ev);

/*
 The `IVRCONF_STATUS_*` of a `CALL_STATUS`; 0 otherwise.
 */
uint32_t ivrconf_event_status(const struct ivrconf_event *ev);

/*
 The `IVRCONF_OUTCOME_*` of an `OPERATION_DONE`; 0 otherwise.
 */
uint32_t ivrconf_event_outcome(const struct ivrconf_event *ev);

/*
 The `IVRCONF_REQUEST_*` named by the `CallError` that ended the op; 0 none.
 */
uint32_t ivrconf_event_failed_request(const struct ivrconf_event *ev);

/*
 The `TLibErrCode` of that `CallError`; -1 when absent.
 */
int32_t ivrconf_event_tlib_error(const struct ivrconf_event *ev);

/*
 The call's state after the event (`IVRCONF_CALL_STATE_*`); 0 for
 session events.
 */
uint32_t ivrconf_event_call_state(const struct ivrconf_event *ev);

/*
 Parties in the call after the event, the IVR port included; 0 for
 session events.
 */
uint32_t ivrconf_event_party_count(const struct ivrconf_event *ev);

/*
 One readable line describing the event; "" for NULL. Never NULL.
 */
const char *ivrconf_event_text(const struct ivrconf_event *ev);

/*
 The pointer the application attached to the event's call with
 `ivrconf_call_set_userdata` when the event was produced; NULL for
 session and engine events, calls without one, and NULL. The library
 never dereferences it.
 */
void *ivrconf_event_call_userdata(const struct ivrconf_event *ev);

/*
 Copies any event (the one a callback got, or one from
 `ivrconf_engine_next_event`) into a new one the caller owns, written to
 `*out`: usable from any thread, its strings valid until it is freed with
 `ivrconf_event_free`. `IVRCONF_ERR_NULL_ARGUMENT` when `ev` or `out` is
 NULL.
 */
ivrconf_result ivrconf_event_clone(const struct ivrconf_event *ev, struct ivrconf_event **out);

/*
 Frees an event returned by `ivrconf_engine_next_event` or
 `ivrconf_event_clone`; NULL is a no-op. Never call it on the event
 passed to a callback.
 */
void ivrconf_event_free(struct ivrconf_event *ev);

/*
 The static name of the `IVRCONF_EVENT_*` constant with value `v`
 (`"IVRCONF_EVENT_CALL_ENDED"`); `""` for 0 and unknown values. Never
 NULL.
 */
const char *ivrconf_event_kind_str(uint32_t v);

/*
 The static name of the `IVRCONF_STATUS_*` constant with value `v`; `""`
 for 0 and unknown values. Never NULL.
 */
const char *ivrconf_status_str(uint32_t v);

/*
 The static name of the `IVRCONF_OUTCOME_*` constant with value `v`
 (`"IVRCONF_OUTCOME_BUSY"`); `""` for 0 and unknown values. Never NULL.
 */
const char *ivrconf_outcome_str(uint32_t v);

/*
 The static name of the `IVRCONF_CALL_STATE_*` constant with value `v`;
 `""` for 0 and unknown values. Never NULL.
 */
const char *ivrconf_call_state_str(uint32_t v);

/*
 The static name of the `IVRCONF_OP_*` constant with value `v`; `""` for
 0 and unknown values. Never NULL.
 */
const char *ivrconf_op_kind_str(uint32_t v);

/*
 The static name of the `IVRCONF_REQUEST_*` constant with value `v`; `""`
 for 0 and unknown values. Never NULL.
 */
const char *ivrconf_request_str(uint32_t v);

/*
 The static name of the `IVRCONF_LOG_*` constant with value `v`; `""` for
 0 and unknown values. Never NULL.
 */
const char *ivrconf_log_level_str(uint32_t v);

/*
 The static name of the `IVRCONF_TRACE_*` format constant with value
 `v`; `""` for 0 and unknown values. Never NULL.
 */
const char *ivrconf_trace_format_str(uint32_t v);

/*
 The static name of `code`'s constant, e.g. `"IVRCONF_ERR_UNKNOWN_CALL"`;
 `"IVRCONF_ERR_UNKNOWN"` for a code that does not exist. Never NULL.
 Thread-safe.
 */
const char *ivrconf_result_str(ivrconf_result code);

/*
 A one-line message describing the most recent failed call on the calling
 thread; "" when there is none. Valid until the next failing call on this
 thread. Never NULL.
 */
const char *ivrconf_last_error(void);

/*
 Starts a simulator listening on `listen`, `"HOST:PORT"` (port 0 picks a
 free port; read it with `ivrconf_sim_port`), e.g. `"127.0.0.1:0"`.
 It accepts any number of IVR-driver connections and answers them as
 `ivrconf_sim_set` configures (defaults: login succeeds, every destination
 answers, every optional message of the canonical sequences is sent).

 Returns `IVRCONF_OK` and writes the new handle to `*out`;
 `IVRCONF_ERR_NULL_ARGUMENT` (`listen` or `out` NULL),
 `IVRCONF_ERR_INVALID_ARGUMENT` (not UTF-8, or not a `HOST:PORT`
 address), `IVRCONF_ERR_IO` (the address cannot be bound, e.g. in use).

 # Safety
 `listen` is NULL or a NUL-terminated string; `out` is NULL or valid for
 writing one pointer.
 */
ivrconf_result ivrconf_sim_new(const char *listen, struct ivrconf_sim **out);

/*
 Changes one setting of the simulator. It takes effect at once, for
 connections already open and those accepted later (`seed`: later
 connections only). Values are text; bools are `true`/`false`; "ms" values
 are 0..2147483647; probabilities are 0..1 (`true` = 1, `false` = 0).

 Login: `login` = `ok` | `init_in_progress` | `no_such_client` |
 `invalid_protocol_version` | `no_answer` (shortcut for the next keys);
 `login_result` (LoginResp Result) [Success]; `login_status` (LoginResp
 Status, empty = none) [OK]; `login_init_in_progress` = N: the next N
 LoginReq get Status=InitInProgress, then `login_status` [0];
 `login_answer` bool, false = never answer LoginReq [true];
 `iserver_version` (empty = none) [IVR Server:8.1.001.02];
 `config_options` (empty = none) []; `flow_control`: send FlowControl
 Status=<text> after each successful LoginResp (empty = none) [].

 Keep-alive: `keepalive_interval_ms`: send a keep-alive request every N ms
 (0 = off) [0]; `keepalive_answer` bool [true]; `silent` bool: send nothing
 at all, the connection stays open [false].

 Calls: `tlib_err_code` (decimal, empty = none) [56]; `echo_req_id` bool
 [true]; `slow_ms` [300]; `hangup_ms` [0]; `default_behaviour` [answer];
 `dest.PREFIX` = behaviour (a prefix rule, e.g. `dest.600` = `busy`);
 `end_after_xfer` = `none` | `endcall` | `released` [none];
 `end_after_xfer_ms` [0]. Behaviours (also the built-in DN prefixes,
 longest prefix wins): `answer`, `busy`, `fail`, `failcomplete`,
 `noanswer`, `hangup`, `slow`, `silent`, `retrievefail`.

 Faults: `seed` (u64) [0]; `drop_after_frames` (0 = off) [0]; `drop_at`
 (message name, empty = off) []; `drop_forgets_calls` bool, false = a
 LoginReq continues the calls of the client's dropped connection [true];
 `duplicate_events`, `swap_held_dialing`,
 `omit_optional`, `unknown_call_events` (probabilities) [0];
 `caller_hangup_ms` (0 = off) [0]; `spelling` = `canonical` | `all` |
 `random` | comma list of `single_quotes`, `child_elements`, `tlib_lower`,
 `no_prolog` [canonical]; `split_writes`, `coalesce`,
 `interleave_keepalive` bools [false]; `response_delay_ms` [0];
 `record_limit` [100000]; `write_timeout_ms` (1..) [5000].

 Replay: `replay` = comma list of JSONL trace files (the engine's
 `ivrconf_call_trace` JSONL, or `ivrconf-trace import` of a capture),
 empty = off []: instead of its scripted sequences the simulator plays
 the server side of the traces, the calls matched by the order of their
 NewCall, each request answered with the frames recorded after it, call
 id substituted (a file that cannot be read is an invalid value);
 `replay_speed`: factor on the recorded gaps, 0 = no delay [1].

 Actions: `close_connections` (any value, e.g. `now`): drop every open
 connection; `reset` (any value): every setting back to its default.

 Returns `IVRCONF_ERR_NULL_ARGUMENT` (`sim`, `key` or `value` NULL),
 `IVRCONF_ERR_INVALID_ARGUMENT` (not UTF-8, or a value the key does not
 accept; nothing changes), `IVRCONF_ERR_UNKNOWN_KEY`.

 # Safety
 `sim` is NULL or a live handle; `key` and `value` are NULL or
 NUL-terminated strings.
 */
ivrconf_result ivrconf_sim_set(struct ivrconf_sim *sim, const char *key, const char *value);

/*
 Writes the TCP port the simulator listens on to `*port_out`.
 `IVRCONF_ERR_NULL_ARGUMENT` when `sim` or `port_out` is NULL.

 # Safety
 `sim` is NULL or a live handle; `port_out` is NULL or writable.
 */
ivrconf_result ivrconf_sim_port(const struct ivrconf_sim *sim, uint16_t *port_out);

/*
 Writes to `*count_out` how many XML messages named `name` (canonical
 name, ASCII case-insensitive, e.g. "InitConf") the simulator has received
 on all connections; `name` NULL counts every XML message. Pseudo-names
 count other frames: `#keepalive_request`, `#keepalive_ack`,
 `#error_ack`, `#decode_error`, `#protocol_error`.
 `IVRCONF_ERR_NULL_ARGUMENT` when `sim` or `count_out` is NULL,
 `IVRCONF_ERR_INVALID_ARGUMENT` when `name` is not UTF-8.

 # Safety
 `sim` is NULL or a live handle; `name` is NULL or a NUL-terminated
 string; `count_out` is NULL or writable.
 */
ivrconf_result ivrconf_sim_received_count(const struct ivrconf_sim *sim, const char *name, uint64_t *count_out);

/*
 Blocks until the simulator has received at least `count` XML messages
 named `name` (as `ivrconf_sim_received_count` counts them), or until
 `timeout_ms` pass: `IVRCONF_OK` or `IVRCONF_ERR_TIMEOUT`.
 `IVRCONF_ERR_NULL_ARGUMENT` when `sim` or `name` is NULL,
 `IVRCONF_ERR_INVALID_ARGUMENT` when `name` is not UTF-8.

 # Safety
 `sim` is NULL or a live handle; `name` is NULL or a NUL-terminated
 string.
 */
ivrconf_result ivrconf_sim_wait_received(const struct ivrconf_sim *sim, const char *name, uint64_t count, uint32_t timeout_ms);

/*
 Writes to `*count_out` how many connections the simulator has accepted
 so far. `IVRCONF_ERR_NULL_ARGUMENT` when `sim` or `count_out` is NULL.

 # Safety
 `sim` is NULL or a live handle; `count_out` is NULL or writable.
 */
ivrconf_result ivrconf_sim_connection_count(const struct ivrconf_sim *sim, uint64_t *count_out);

/*
 Stops the simulator (closes every connection, joins its threads) and
 frees it. NULL is a no-op. The handle must not be used afterwards.

 # Safety
 `sim` is NULL or a live handle from `ivrconf_sim_new`, not used by any
 other thread during or after this call.
 */
void ivrconf_sim_free(struct ivrconf_sim *sim);

/*
 Writes the engine's counters to `*out`. The caller sets
 `out->struct_size = sizeof(ivrconf_stats)`; the library fills the fields
 that fit and sets `struct_size` to the bytes it filled. Answers in every
 state, after `ivrconf_engine_shutdown` too, from any thread.

 Errors: `IVRCONF_ERR_NULL_ARGUMENT`; `IVRCONF_ERR_INVALID_ARGUMENT` when
 `struct_size` is below the first version's struct (nothing is written).
 */
ivrconf_result ivrconf_engine_stats(struct ivrconf_engine *e, struct ivrconf_stats *out);

/*
 Renders the trace of `call_id` (a live call, or one of the
 `trace_keep_ended` most recently ended) in `format`
 (`IVRCONF_TRACE_*`) into a new NUL-terminated string written to `*out`;
 free it with `ivrconf_string_free`. Works in every session state and
 from any thread, callbacks included.

 Errors: `IVRCONF_ERR_NULL_ARGUMENT`; `IVRCONF_ERR_INVALID_ARGUMENT`
 (unknown format, call id not UTF-8); `IVRCONF_ERR_UNKNOWN_CALL` (no such
 call, or its trace was evicted); `IVRCONF_ERR_INVALID_STATE` (recording
 is off: `trace_max_entries = 0`); `IVRCONF_ERR_SHUT_DOWN`.
 */
ivrconf_result ivrconf_call_trace(struct ivrconf_engine *e, const char *call_id, uint32_t format, char **out);

/*
 Frees a string the library returned (`ivrconf_call_trace`); NULL is a
 no-op.
 */
void ivrconf_string_free(char *s);

/*
 The library version as text, e.g. "0.1.0". Static, never NULL.
 */
const char *ivrconf_version(void);

/*
 The library version as `major << 16 | minor << 8 | patch`.
 */
uint32_t ivrconf_version_number(void);

#ifdef __cplusplus
}  // extern "C"
#endif  // __cplusplus

#endif  /* IVRCONF_H */

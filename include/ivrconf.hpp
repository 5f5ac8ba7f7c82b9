/*
 * ivrconf.hpp -- the C++17 binding of ivrconf: header-only, written over the
 * C API of ivrconf.h, standard library only. Link the library as for C.
 *
 * What it owns: RAII owners (Config, Engine, Simulator, OwnedEvent), the
 * constants as `enum class` with to_string(), Event (an event's fields
 * copied out), errors as ivrconf::Error or std::error_code, and the waits a
 * driver writes by hand in C: Call (a call's events, read in order with a
 * timeout), Operation (wait() for its outcome), Engine::events() (poll mode
 * as a range) and trace() as a std::string.
 * What it must not do: decide anything about calls (every rule stays in the
 * library behind ivrconf.h), or let an exception, an allocation failure
 * aside, reach the library through a callback.
 *
 * Two ways to handle failures, the same functions in both:
 *   - throwing (needs exceptions): a failed call throws ivrconf::Error, a
 *     std::system_error carrying the result code, its name and the reason;
 *   - non-throwing: the overload with a trailing `std::error_code& ec` (the
 *     std::filesystem pattern); ec is cleared on success and set to an
 *     ivrconf::Result on failure, with the reason in ivrconf::last_error().
 * Under -fno-exceptions (or with IVRCONF_HPP_NO_EXCEPTIONS defined) only the
 * second set exists: constructors that would throw and the throwing
 * overloads are compiled out; create(..., ec) builds the owners.
 *
 * Callbacks: any callable. They run on the engine's dispatcher thread. An
 * exception thrown by one is caught before it reaches the library, kept,
 * and rethrown by the next throwing call on that engine (its Call and
 * Operation handles included) made outside the engine's callbacks -- a
 * wait in progress wakes up to rethrow it -- or by Engine::close().
 * Only the first is kept until it is rethrown; later ones are dropped.
 * Engine::take_callback_error() hands it over without throwing. The
 * destructor of an Engine drops an exception still kept.
 *
 * Documented in docs/CPP.md; examples-cpp/ has one program per flow.
 */
#ifndef IVRCONF_HPP
#define IVRCONF_HPP

#include "ivrconf.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#if defined(__cpp_exceptions) && !defined(IVRCONF_HPP_NO_EXCEPTIONS)
#define IVRCONF_HPP_EXCEPTIONS 1
#else
#define IVRCONF_HPP_EXCEPTIONS 0
#endif

namespace ivrconf {

/* ---- constants ------------------------------------------------------------
 * Each C family as an enum class with the header's values; `none` is the 0
 * an event field holds when its kind does not carry it. to_string() gives
 * the constant's name without its family prefix ("COMPLETED" for
 * IVRCONF_OUTCOME_COMPLETED), "" for none or a value it does not know. */

/** Operation id (never 0 for a real operation). */
using OpId = ivrconf_op_id;
/** Every timeout; the library's waits take at most 2^32-1 ms. */
using Timeout = std::chrono::milliseconds;

/** ivrconf_result: IVRCONF_OK and IVRCONF_ERR_*. */
enum class Result : std::uint32_t {
    ok = IVRCONF_OK,
    null_argument = IVRCONF_ERR_NULL_ARGUMENT,
    invalid_argument = IVRCONF_ERR_INVALID_ARGUMENT,
    unknown_key = IVRCONF_ERR_UNKNOWN_KEY,
    config = IVRCONF_ERR_CONFIG,
    unknown_call = IVRCONF_ERR_UNKNOWN_CALL,
    call_exists = IVRCONF_ERR_CALL_EXISTS,
    not_connected = IVRCONF_ERR_NOT_CONNECTED,
    operation_pending = IVRCONF_ERR_OPERATION_PENDING,
    invalid_state = IVRCONF_ERR_INVALID_STATE,
    timeout = IVRCONF_ERR_TIMEOUT,
    shut_down = IVRCONF_ERR_SHUT_DOWN,
    panic = IVRCONF_ERR_PANIC,
    io = IVRCONF_ERR_IO,
};

/** IVRCONF_EVENT_*. */
enum class EventKind : std::uint32_t {
    none = 0,
    session_up = IVRCONF_EVENT_SESSION_UP,
    session_down = IVRCONF_EVENT_SESSION_DOWN,
    call_status = IVRCONF_EVENT_CALL_STATUS,
    operation_done = IVRCONF_EVENT_OPERATION_DONE,
    call_ended = IVRCONF_EVENT_CALL_ENDED,
    engine_error = IVRCONF_EVENT_ENGINE_ERROR,
};

/** IVRCONF_STATUS_*: the CallStatus the server reported. */
enum class Status : std::uint32_t {
    none = 0,
    dialing = IVRCONF_STATUS_DIALING,
    ringing = IVRCONF_STATUS_RINGING,
    established = IVRCONF_STATUS_ESTABLISHED,
    retrieved = IVRCONF_STATUS_RETRIEVED,
    busy = IVRCONF_STATUS_BUSY,
    held = IVRCONF_STATUS_HELD,
    conf_party_add = IVRCONF_STATUS_CONF_PARTY_ADD,
    conf_party_del = IVRCONF_STATUS_CONF_PARTY_DEL,
    xfer_complete = IVRCONF_STATUS_XFER_COMPLETE,
    released = IVRCONF_STATUS_RELEASED,
};

/** IVRCONF_OUTCOME_*: how an operation ended. */
enum class Outcome : std::uint32_t {
    none = 0,
    completed = IVRCONF_OUTCOME_COMPLETED,
    busy = IVRCONF_OUTCOME_BUSY,
    no_answer = IVRCONF_OUTCOME_NO_ANSWER,
    failed = IVRCONF_OUTCOME_FAILED,
    cancelled = IVRCONF_OUTCOME_CANCELLED,
    consult_released = IVRCONF_OUTCOME_CONSULT_RELEASED,
    retrieve_failed = IVRCONF_OUTCOME_RETRIEVE_FAILED,
    call_ended = IVRCONF_OUTCOME_CALL_ENDED,
    timeout = IVRCONF_OUTCOME_TIMEOUT,
    link_lost = IVRCONF_OUTCOME_LINK_LOST,
};

/** IVRCONF_REQUEST_*: the request a CallError named. */
enum class Request : std::uint32_t {
    none = 0,
    unknown = IVRCONF_REQUEST_UNKNOWN,
    no_such_call = IVRCONF_REQUEST_NO_SUCH_CALL,
    one_step_xfer = IVRCONF_REQUEST_ONE_STEP_XFER,
    one_step_conf = IVRCONF_REQUEST_ONE_STEP_CONF,
    init_conf = IVRCONF_REQUEST_INIT_CONF,
    complete_conf = IVRCONF_REQUEST_COMPLETE_CONF,
    init_xfer = IVRCONF_REQUEST_INIT_XFER,
    complete_xfer = IVRCONF_REQUEST_COMPLETE_XFER,
    retrieve_call = IVRCONF_REQUEST_RETRIEVE_CALL,
    make_call = IVRCONF_REQUEST_MAKE_CALL,
    agent_control = IVRCONF_REQUEST_AGENT_CONTROL,
    not_allowed = IVRCONF_REQUEST_NOT_ALLOWED,
};

/** IVRCONF_CALL_STATE_*. */
enum class CallState : std::uint32_t {
    none = 0,
    active = IVRCONF_CALL_STATE_ACTIVE,
    consulting = IVRCONF_CALL_STATE_CONSULTING,
    consult_established = IVRCONF_CALL_STATE_CONSULT_ESTABLISHED,
    held = IVRCONF_CALL_STATE_HELD,
    conferenced = IVRCONF_CALL_STATE_CONFERENCED,
    transferred = IVRCONF_CALL_STATE_TRANSFERRED,
    ended = IVRCONF_CALL_STATE_ENDED,
};

/** IVRCONF_OP_*: the operations; the last three for can() only. */
enum class OpKind : std::uint32_t {
    none = 0,
    conference_one_step = IVRCONF_OP_CONFERENCE_ONE_STEP,
    conference_consult = IVRCONF_OP_CONFERENCE_CONSULT,
    transfer_one_step = IVRCONF_OP_TRANSFER_ONE_STEP,
    transfer_consult = IVRCONF_OP_TRANSFER_CONSULT,
    conference_complete = IVRCONF_OP_CONFERENCE_COMPLETE,
    transfer_complete = IVRCONF_OP_TRANSFER_COMPLETE,
    consult_cancel = IVRCONF_OP_CONSULT_CANCEL,
};

/** IVRCONF_LOG_*: the level of a log line. */
enum class LogLevel : std::uint32_t {
    none = 0,
    error = IVRCONF_LOG_ERROR,
    warn = IVRCONF_LOG_WARN,
    info = IVRCONF_LOG_INFO,
    debug = IVRCONF_LOG_DEBUG,
    trace = IVRCONF_LOG_TRACE,
};

/** IVRCONF_TRACE_*: how trace() renders a call's trace. */
enum class TraceFormat : std::uint32_t {
    text = IVRCONF_TRACE_TEXT,
    mermaid = IVRCONF_TRACE_MERMAID,
    jsonl = IVRCONF_TRACE_JSONL,
};

constexpr std::string_view to_string(Result v) noexcept {
    switch (v) {
    case Result::ok: return "OK";
    case Result::null_argument: return "NULL_ARGUMENT";
    case Result::invalid_argument: return "INVALID_ARGUMENT";
    case Result::unknown_key: return "UNKNOWN_KEY";
    case Result::config: return "CONFIG";
    case Result::unknown_call: return "UNKNOWN_CALL";
    case Result::call_exists: return "CALL_EXISTS";
    case Result::not_connected: return "NOT_CONNECTED";
    case Result::operation_pending: return "OPERATION_PENDING";
    case Result::invalid_state: return "INVALID_STATE";
    case Result::timeout: return "TIMEOUT";
    case Result::shut_down: return "SHUT_DOWN";
    case Result::panic: return "PANIC";
    case Result::io: return "IO";
    }
    return "";
}

constexpr std::string_view to_string(EventKind v) noexcept {
    switch (v) {
    case EventKind::none: return "";
    case EventKind::session_up: return "SESSION_UP";
    case EventKind::session_down: return "SESSION_DOWN";
    case EventKind::call_status: return "CALL_STATUS";
    case EventKind::operation_done: return "OPERATION_DONE";
    case EventKind::call_ended: return "CALL_ENDED";
    case EventKind::engine_error: return "ENGINE_ERROR";
    }
    return "";
}

constexpr std::string_view to_string(Status v) noexcept {
    switch (v) {
    case Status::none: return "";
    case Status::dialing: return "DIALING";
    case Status::ringing: return "RINGING";
    case Status::established: return "ESTABLISHED";
    case Status::retrieved: return "RETRIEVED";
    case Status::busy: return "BUSY";
    case Status::held: return "HELD";
    case Status::conf_party_add: return "CONF_PARTY_ADD";
    case Status::conf_party_del: return "CONF_PARTY_DEL";
    case Status::xfer_complete: return "XFER_COMPLETE";
    case Status::released: return "RELEASED";
    }
    return "";
}

constexpr std::string_view to_string(Outcome v) noexcept {
    switch (v) {
    case Outcome::none: return "";
    case Outcome::completed: return "COMPLETED";
    case Outcome::busy: return "BUSY";
    case Outcome::no_answer: return "NO_ANSWER";
    case Outcome::failed: return "FAILED";
    case Outcome::cancelled: return "CANCELLED";
    case Outcome::consult_released: return "CONSULT_RELEASED";
    case Outcome::retrieve_failed: return "RETRIEVE_FAILED";
    case Outcome::call_ended: return "CALL_ENDED";
    case Outcome::timeout: return "TIMEOUT";
    case Outcome::link_lost: return "LINK_LOST";
    }
    return "";
}

constexpr std::string_view to_string(Request v) noexcept {
    switch (v) {
    case Request::none: return "";
    case Request::unknown: return "UNKNOWN";
    case Request::no_such_call: return "NO_SUCH_CALL";
    case Request::one_step_xfer: return "ONE_STEP_XFER";
    case Request::one_step_conf: return "ONE_STEP_CONF";
    case Request::init_conf: return "INIT_CONF";
    case Request::complete_conf: return "COMPLETE_CONF";
    case Request::init_xfer: return "INIT_XFER";
    case Request::complete_xfer: return "COMPLETE_XFER";
    case Request::retrieve_call: return "RETRIEVE_CALL";
    case Request::make_call: return "MAKE_CALL";
    case Request::agent_control: return "AGENT_CONTROL";
    case Request::not_allowed: return "NOT_ALLOWED";
    }
    return "";
}

constexpr std::string_view to_string(CallState v) noexcept {
    switch (v) {
    case CallState::none: return "";
    case CallState::active: return "ACTIVE";
    case CallState::consulting: return "CONSULTING";
    case CallState::consult_established: return "CONSULT_ESTABLISHED";
    case CallState::held: return "HELD";
    case CallState::conferenced: return "CONFERENCED";
    case CallState::transferred: return "TRANSFERRED";
    case CallState::ended: return "ENDED";
    }
    return "";
}

constexpr std::string_view to_string(OpKind v) noexcept {
    switch (v) {
    case OpKind::none: return "";
    case OpKind::conference_one_step: return "CONFERENCE_ONE_STEP";
    case OpKind::conference_consult: return "CONFERENCE_CONSULT";
    case OpKind::transfer_one_step: return "TRANSFER_ONE_STEP";
    case OpKind::transfer_consult: return "TRANSFER_CONSULT";
    case OpKind::conference_complete: return "CONFERENCE_COMPLETE";
    case OpKind::transfer_complete: return "TRANSFER_COMPLETE";
    case OpKind::consult_cancel: return "CONSULT_CANCEL";
    }
    return "";
}

constexpr std::string_view to_string(LogLevel v) noexcept {
    switch (v) {
    case LogLevel::none: return "";
    case LogLevel::error: return "ERROR";
    case LogLevel::warn: return "WARN";
    case LogLevel::info: return "INFO";
    case LogLevel::debug: return "DEBUG";
    case LogLevel::trace: return "TRACE";
    }
    return "";
}

constexpr std::string_view to_string(TraceFormat v) noexcept {
    switch (v) {
    case TraceFormat::text: return "TEXT";
    case TraceFormat::mermaid: return "MERMAID";
    case TraceFormat::jsonl: return "JSONL";
    }
    return "";
}

/** The library's version as text ("0.2.0") and as major<<16|minor<<8|patch. */
inline std::string_view version() noexcept { return ivrconf_version(); }
inline std::uint32_t version_number() noexcept { return ivrconf_version_number(); }

/* ---- errors ---------------------------------------------------------------- */

namespace detail {

/* The error category of Result. message() is the C constant's name and what
 * the code means; the precise reason of one failure is last_error(). */
class ResultCategory final : public std::error_category {
public:
    const char *name() const noexcept override { return "ivrconf"; }

    std::string message(int code) const override {
        std::string text = ivrconf_result_str(static_cast<ivrconf_result>(code));
        text += ": ";
        text += meaning(static_cast<Result>(code));
        return text;
    }

    /* Lets `ec == std::errc::timed_out` and the like work. */
    std::error_condition default_error_condition(int code) const noexcept override {
        switch (static_cast<Result>(code)) {
        case Result::null_argument:
        case Result::invalid_argument: return std::errc::invalid_argument;
        case Result::timeout: return std::errc::timed_out;
        case Result::io: return std::errc::io_error;
        default: return {code, *this};
        }
    }

private:
    static const char *meaning(Result r) noexcept {
        switch (r) {
        case Result::ok: return "success";
        case Result::null_argument: return "a required argument was missing";
        case Result::invalid_argument: return "an argument was malformed";
        case Result::unknown_key: return "no configuration key has this name";
        case Result::config: return "the configuration as a whole is unusable";
        case Result::unknown_call: return "no live call has this id";
        case Result::call_exists: return "a live call already has this id";
        case Result::not_connected: return "the engine is not logged in to a server";
        case Result::operation_pending: return "the call already has an operation in flight";
        case Result::invalid_state: return "the call's state does not allow this now";
        case Result::timeout: return "a wait ran out of time";
        case Result::shut_down: return "the engine has been shut down";
        case Result::panic: return "internal error";
        case Result::io: return "operating-system error";
        }
        return "unknown result code";
    }
};

} // namespace detail

/** The category of every error_code this binding sets. */
inline const std::error_category &category() noexcept {
    static const detail::ResultCategory instance;
    return instance;
}

inline std::error_code make_error_code(Result r) noexcept {
    return {static_cast<int>(r), category()};
}

} // namespace ivrconf

namespace std {
template <> struct is_error_code_enum<ivrconf::Result> : true_type {};
} // namespace std

namespace ivrconf {
namespace detail {

/* A failure this binding found itself (a NUL inside a string, an empty
 * handle, a wait that ran out): its reason, which last_error() prefers
 * until the next failure the library reports on this thread. */
struct LocalError {
    bool set = false;
    std::string text;
};

inline LocalError &local_error() {
    static thread_local LocalError error;
    return error;
}

inline void fail(std::error_code &ec, Result r, std::string why) {
    LocalError &local = local_error();
    local.set = true;
    local.text = std::move(why);
    ec = r;
}

/* Turns the C result into ec; true on success. */
inline bool check(ivrconf_result r, std::error_code &ec) {
    if (r == IVRCONF_OK) {
        ec.clear();
        return true;
    }
    local_error().set = false;
    ec = static_cast<Result>(r);
    return false;
}

} // namespace detail

/** Why the most recent failure on this thread failed: the library's
 * ivrconf_last_error(), or the binding's own reason when the binding
 * refused the call itself. Valid until the next failure on this thread. */
inline std::string_view last_error() noexcept {
    const detail::LocalError &local = detail::local_error();
    return local.set ? std::string_view(local.text) : std::string_view(ivrconf_last_error());
}

#if IVRCONF_HPP_EXCEPTIONS
/** What the throwing functions throw: the result code (code(), result()),
 * its C name (name(), "IVRCONF_ERR_UNKNOWN_CALL") and the reason (detail(),
 * last_error() when it was thrown). what() is "NAME: reason". */
class Error : public std::system_error {
public:
    Error(std::error_code ec, std::string detail)
        : std::system_error(ec),
          detail_(std::make_shared<const std::string>(std::move(detail))),
          what_(std::make_shared<const std::string>(
              std::string(ivrconf_result_str(static_cast<ivrconf_result>(ec.value()))) +
              (detail_->empty() ? "" : ": " + *detail_))) {}

    Result result() const noexcept { return static_cast<Result>(code().value()); }
    std::string_view name() const noexcept {
        return ivrconf_result_str(static_cast<ivrconf_result>(code().value()));
    }
    const std::string &detail() const noexcept { return *detail_; }
    const char *what() const noexcept override { return what_->c_str(); }

private:
    // Shared, so that copying the exception never allocates.
    std::shared_ptr<const std::string> detail_;
    std::shared_ptr<const std::string> what_;
};

namespace detail {

[[noreturn]] inline void throw_error(const std::error_code &ec) {
    throw Error(ec, std::string(last_error()));
}

inline void throw_if(const std::error_code &ec) {
    if (ec)
        throw_error(ec);
}

/* The throwing form of an ec-style call: f(ec), then Error if ec is set. */
template <class F> auto throwing(F &&f) {
    std::error_code ec;
    if constexpr (std::is_void_v<decltype(f(ec))>) {
        f(ec);
        throw_if(ec);
    } else {
        auto value = f(ec);
        throw_if(ec);
        return value;
    }
}

} // namespace detail
#endif

/* ---- strings and user data going to C ---------------------------------- */

/** One key/value pair of user data (NewCall, operations). */
struct KeyValue {
    std::string_view key;
    std::string_view value;
};
using UserData = std::vector<KeyValue>;

namespace detail {

/* C needs a terminating NUL, which a string_view does not promise: copy. A
 * NUL inside would silently cut the text short in C, so it is refused. */
inline bool c_text(std::string_view in, const char *what, std::string &out,
                   std::error_code &ec) {
    if (in.find('\0') != std::string_view::npos) {
        fail(ec, Result::invalid_argument, std::string(what) + " contains a NUL character");
        return false;
    }
    out.assign(in.data(), in.size());
    return true;
}

/* UserData as the ivrconf_kv array C reads; owns the NUL-terminated copies. */
class CUserData {
public:
    bool build(const UserData &udata, std::error_code &ec) {
        text_.clear();
        kv_.clear();
        // Every string is in place before any pointer is taken: a vector
        // growing later would move short strings' buffers.
        text_.resize(udata.size() * 2);
        for (std::size_t i = 0; i < udata.size(); i++) {
            if (!c_text(udata[i].key, "a user data key", text_[2 * i], ec) ||
                !c_text(udata[i].value, "a user data value", text_[2 * i + 1], ec))
                return false;
        }
        kv_.reserve(udata.size());
        for (std::size_t i = 0; i < udata.size(); i++)
            kv_.push_back(ivrconf_kv{text_[2 * i].c_str(), text_[2 * i + 1].c_str()});
        return true;
    }
    const ivrconf_kv *data() const noexcept { return kv_.empty() ? nullptr : kv_.data(); }
    std::size_t size() const noexcept { return kv_.size(); }

private:
    std::vector<std::string> text_;
    std::vector<ivrconf_kv> kv_;
};

/* A timeout as the C functions take it: 0 .. 2^32-1 ms. */
inline std::uint32_t c_ms(Timeout t) noexcept {
    if (t.count() <= 0)
        return 0;
    if (t.count() > static_cast<Timeout::rep>(UINT32_MAX))
        return UINT32_MAX;
    return static_cast<std::uint32_t>(t.count());
}

} // namespace detail

/* ---- configuration ---------------------------------------------------------- */

/** Owns an ivrconf_config. Settings are text, as in C (see README's table). */
class Config {
public:
#if IVRCONF_HPP_EXCEPTIONS
    /** A configuration with every default. */
    Config() {
        std::error_code ec;
        *this = create(ec);
        detail::throw_if(ec);
    }
    /** A configuration with these settings applied in order. */
    Config(std::initializer_list<KeyValue> settings) {
        std::error_code ec;
        *this = create(settings, ec);
        detail::throw_if(ec);
    }
    /** Sets `key` to `value`; returns *this for chaining. */
    Config &set(std::string_view key, std::string_view value) {
        std::error_code ec;
        set(key, value, ec);
        detail::throw_if(ec);
        return *this;
    }
#endif
    /** Adopts `owned` (may be NULL: an empty Config). */
    explicit Config(ivrconf_config *owned) noexcept : cfg_(owned) {}

    static Config create(std::error_code &ec) {
        ivrconf_config *cfg = nullptr;
        if (!detail::check(ivrconf_config_new(&cfg), ec))
            return Config(nullptr);
        return Config(cfg);
    }
    static Config create(std::initializer_list<KeyValue> settings, std::error_code &ec) {
        Config cfg = create(ec);
        for (const KeyValue &kv : settings) {
            if (ec)
                return Config(nullptr);
            cfg.set(kv.key, kv.value, ec);
        }
        return ec ? Config(nullptr) : std::move(cfg);
    }

    void set(std::string_view key, std::string_view value, std::error_code &ec) {
        std::string k, v;
        if (!detail::c_text(key, "key", k, ec) || !detail::c_text(value, "value", v, ec))
            return;
        detail::check(ivrconf_config_set(cfg_, k.c_str(), v.c_str()), ec);
    }

    Config(Config &&other) noexcept : cfg_(std::exchange(other.cfg_, nullptr)) {}
    Config &operator=(Config &&other) noexcept {
        if (this != &other) {
            ivrconf_config_free(cfg_);
            cfg_ = std::exchange(other.cfg_, nullptr);
        }
        return *this;
    }
    Config(const Config &) = delete;
    Config &operator=(const Config &) = delete;
    ~Config() { ivrconf_config_free(cfg_); }

    ivrconf_config *get() const noexcept { return cfg_; }
    ivrconf_config *release() noexcept { return std::exchange(cfg_, nullptr); }
    explicit operator bool() const noexcept { return cfg_ != nullptr; }

private:
    ivrconf_config *cfg_ = nullptr;
};

/* ---- events ----------------------------------------------------------------- */

/** One event with its own copy of every field: keep it, move it across
 * threads, read it after the callback has returned. */
struct Event {
    EventKind kind = EventKind::none;
    std::string call_id; // "" for session and engine events
    OpId op_id = 0;      // OPERATION_DONE: the op that ended; CALL_STATUS: the op in flight
    OpKind op_kind = OpKind::none;
    Status status = Status::none;              // CALL_STATUS
    Outcome outcome = Outcome::none;           // OPERATION_DONE
    Request failed_request = Request::none;    // the request a CallError named
    std::int32_t tlib_error = -1;              // that CallError's TLibErrCode; -1 none
    CallState call_state = CallState::none;    // the call's state after the event
    std::uint32_t party_count = 0;             // parties after it, the IVR port included
    std::string text;                          // one readable line
    void *call_userdata = nullptr;             // set_userdata's pointer when it was produced

    /** Copies the fields of `ev` (a callback's event, or one owned). */
    static Event from(const ivrconf_event *ev) {
        Event e;
        e.kind = static_cast<EventKind>(ivrconf_event_kind(ev));
        const char *call_id = ivrconf_event_call_id(ev);
        if (call_id != nullptr)
            e.call_id = call_id;
        e.op_id = ivrconf_event_op_id(ev);
        e.op_kind = static_cast<OpKind>(ivrconf_event_op_kind(ev));
        e.status = static_cast<Status>(ivrconf_event_status(ev));
        e.outcome = static_cast<Outcome>(ivrconf_event_outcome(ev));
        e.failed_request = static_cast<Request>(ivrconf_event_failed_request(ev));
        e.tlib_error = ivrconf_event_tlib_error(ev);
        e.call_state = static_cast<CallState>(ivrconf_event_call_state(ev));
        e.party_count = ivrconf_event_party_count(ev);
        e.text = ivrconf_event_text(ev);
        e.call_userdata = ivrconf_event_call_userdata(ev);
        return e;
    }
};

/** Owns an ivrconf_event the application holds (from
 * ivrconf_engine_next_event or ivrconf_event_clone): ivrconf_event_free when
 * it goes. Never adopt the event a callback receives, which the library
 * owns: clone() it. */
class OwnedEvent {
public:
    OwnedEvent() noexcept = default;
    explicit OwnedEvent(ivrconf_event *owned) noexcept : ev_(owned) {}

#if IVRCONF_HPP_EXCEPTIONS
    /** A copy of `ev` (e.g. a callback's event) that this owner keeps. */
    static OwnedEvent clone(const ivrconf_event *ev) {
        return detail::throwing([&](std::error_code &ec) { return clone(ev, ec); });
    }
#endif
    static OwnedEvent clone(const ivrconf_event *ev, std::error_code &ec) {
        ivrconf_event *copy = nullptr;
        detail::check(ivrconf_event_clone(ev, &copy), ec);
        return OwnedEvent(copy);
    }
    OwnedEvent(OwnedEvent &&other) noexcept : ev_(std::exchange(other.ev_, nullptr)) {}
    OwnedEvent &operator=(OwnedEvent &&other) noexcept {
        if (this != &other) {
            ivrconf_event_free(ev_);
            ev_ = std::exchange(other.ev_, nullptr);
        }
        return *this;
    }
    OwnedEvent(const OwnedEvent &) = delete;
    OwnedEvent &operator=(const OwnedEvent &) = delete;
    ~OwnedEvent() { ivrconf_event_free(ev_); }

    EventKind kind() const noexcept { return static_cast<EventKind>(ivrconf_event_kind(ev_)); }
    /** Valid while this owner holds the event; "" for session events. */
    std::string_view call_id() const noexcept {
        const char *id = ivrconf_event_call_id(ev_);
        return id != nullptr ? std::string_view(id) : std::string_view();
    }
    std::string_view text() const noexcept { return ivrconf_event_text(ev_); }
    /** Every field, copied. */
    Event to_event() const { return Event::from(ev_); }

    const ivrconf_event *get() const noexcept { return ev_; }
    ivrconf_event *release() noexcept { return std::exchange(ev_, nullptr); }
    explicit operator bool() const noexcept { return ev_ != nullptr; }

private:
    ivrconf_event *ev_ = nullptr;
};

/* ---- the simulator --------------------------------------------------------- */

/** Owns an ivrconf_sim: the bundled IVR Server simulator on a TCP port. */
class Simulator {
public:
#if IVRCONF_HPP_EXCEPTIONS
    /** Starts listening on `listen` ("HOST:PORT"; port 0 picks a free one). */
    explicit Simulator(std::string_view listen = "127.0.0.1:0") {
        std::error_code ec;
        *this = create(listen, ec);
        detail::throw_if(ec);
    }
    std::uint16_t port() const {
        return detail::throwing([&](std::error_code &ec) { return port(ec); });
    }
    void set(std::string_view key, std::string_view value) {
        detail::throwing([&](std::error_code &ec) { set(key, value, ec); });
    }
    /** XML messages named `name` received so far ("InitConf"; see ivrconf.h). */
    std::uint64_t received_count(std::string_view name) const {
        return detail::throwing([&](std::error_code &ec) { return received_count(name, ec); });
    }
    void wait_received(std::string_view name, std::uint64_t count, Timeout timeout) const {
        detail::throwing([&](std::error_code &ec) { wait_received(name, count, timeout, ec); });
    }
    std::uint64_t connection_count() const {
        return detail::throwing([&](std::error_code &ec) { return connection_count(ec); });
    }
#endif
    explicit Simulator(ivrconf_sim *owned) noexcept : sim_(owned) {}

    static Simulator create(std::string_view listen, std::error_code &ec) {
        std::string addr;
        ivrconf_sim *sim = nullptr;
        if (!detail::c_text(listen, "listen", addr, ec) ||
            !detail::check(ivrconf_sim_new(addr.c_str(), &sim), ec))
            return Simulator(nullptr);
        return Simulator(sim);
    }

    std::uint16_t port(std::error_code &ec) const {
        std::uint16_t port = 0;
        detail::check(ivrconf_sim_port(sim_, &port), ec);
        return port;
    }
    void set(std::string_view key, std::string_view value, std::error_code &ec) {
        std::string k, v;
        if (detail::c_text(key, "key", k, ec) && detail::c_text(value, "value", v, ec))
            detail::check(ivrconf_sim_set(sim_, k.c_str(), v.c_str()), ec);
    }
    std::uint64_t received_count(std::string_view name, std::error_code &ec) const {
        std::string n;
        std::uint64_t count = 0;
        if (detail::c_text(name, "name", n, ec))
            detail::check(ivrconf_sim_received_count(sim_, n.c_str(), &count), ec);
        return count;
    }
    void wait_received(std::string_view name, std::uint64_t count, Timeout timeout,
                       std::error_code &ec) const {
        std::string n;
        if (detail::c_text(name, "name", n, ec))
            detail::check(ivrconf_sim_wait_received(sim_, n.c_str(), count, detail::c_ms(timeout)),
                          ec);
    }
    std::uint64_t connection_count(std::error_code &ec) const {
        std::uint64_t count = 0;
        detail::check(ivrconf_sim_connection_count(sim_, &count), ec);
        return count;
    }

    Simulator(Simulator &&other) noexcept : sim_(std::exchange(other.sim_, nullptr)) {}
    Simulator &operator=(Simulator &&other) noexcept {
        if (this != &other) {
            ivrconf_sim_free(sim_);
            sim_ = std::exchange(other.sim_, nullptr);
        }
        return *this;
    }
    Simulator(const Simulator &) = delete;
    Simulator &operator=(const Simulator &) = delete;
    ~Simulator() { ivrconf_sim_free(sim_); }

    ivrconf_sim *get() const noexcept { return sim_; }
    ivrconf_sim *release() noexcept { return std::exchange(sim_, nullptr); }
    explicit operator bool() const noexcept { return sim_ != nullptr; }

private:
    ivrconf_sim *sim_ = nullptr;
};

/* ---- the engine's shared state ------------------------------------------- */

class Call;
class Operation;
class EventRange;

namespace detail {

/* A call's events not read yet, for Call. */
struct Inbox {
    std::deque<Event> events;
    std::condition_variable changed;
    bool ended = false; // its CALL_ENDED has arrived: nothing follows
};

/* Where an operation's OPERATION_DONE lands, for Operation. */
struct OpSlot {
    std::optional<Event> done;
    std::condition_variable changed;
};

class EngineState;

/* The engine whose callback is running on this thread (nested: innermost). */
inline const EngineState *&current_callback() {
    static thread_local const EngineState *state = nullptr;
    return state;
}

struct CallbackScope {
    explicit CallbackScope(const EngineState *state) : previous(current_callback()) {
        current_callback() = state;
    }
    ~CallbackScope() { current_callback() = previous; }
    CallbackScope(const CallbackScope &) = delete;
    CallbackScope &operator=(const CallbackScope &) = delete;
    const EngineState *previous;
};

using EventHandler = std::function<void(const Event &)>;
using LogHandler = std::function<void(LogLevel, std::string_view)>;
using StartFn = ivrconf_result (*)(ivrconf_engine *, const char *, const char *,
                                   const ivrconf_kv *, size_t, ivrconf_op_id *);
using ContinueFn = ivrconf_result (*)(ivrconf_engine *, const char *);

/*
 * What an Engine shares with its Calls, Operations and the library's
 * callbacks: the handle, the handlers, the inboxes and op slots, the
 * exception kept from a callback. The C userdata is a heap copy of a
 * shared_ptr to it, deleted by free_userdata, so it outlives every callback
 * even when the Engine is destroyed inside one.
 *
 * One mutex guards everything below it. It is held across the C calls that
 * register an inbox or an op slot (call_new, the op starts), so that their
 * first events, which the dispatcher may deliver before the C call has
 * returned, always find them; those C calls never wait on the dispatcher.
 * It is never held while a handler runs.
 */
class EngineState : public std::enable_shared_from_this<EngineState> {
public:
    EventHandler on_event;
    LogHandler on_log;

    /* The live handle; NULL before start and from the Engine's free on. */
    std::atomic<ivrconf_engine *> handle{nullptr};

    bool in_callback() const noexcept { return current_callback() == this; }

    ivrconf_engine *engine(std::error_code &ec) const {
        ivrconf_engine *e = handle.load();
        if (e == nullptr)
            fail(ec, Result::shut_down, "the engine has been freed");
        return e;
    }

    /* The creating thread has stored the handle: callbacks may run. */
    void publish(ivrconf_engine *e) {
        std::lock_guard<std::mutex> guard(lock_);
        handle.store(e);
        published_.store(true);
        published_changed_.notify_all();
    }
    void await_published() {
        if (published_.load())
            return;
        std::unique_lock<std::mutex> lk(lock_);
        published_changed_.wait(lk, [this] { return published_.load(); });
    }

    /* Every event, from the callback or from next_event: to its op slot
     * and to its call's inbox. */
    void deliver(const Event &e) {
        std::lock_guard<std::mutex> guard(lock_);
        if (e.kind == EventKind::operation_done) {
            auto op = ops_.find(e.op_id);
            if (op != ops_.end()) {
                if (std::shared_ptr<OpSlot> slot = op->second.lock()) {
                    slot->done = e;
                    slot->changed.notify_all();
                }
                ops_.erase(op); // exactly one OPERATION_DONE per op id
            }
        }
        if (e.call_id.empty())
            return;
        auto call = calls_.find(e.call_id);
        if (call == calls_.end() || call->second.empty())
            return;
        std::shared_ptr<Inbox> inbox = call->second.front().lock();
        if (inbox) {
            inbox->events.push_back(e);
            inbox->changed.notify_all();
        }
        if (e.kind == EventKind::call_ended) {
            // The call's last event: a call_new reusing the id has the next inbox.
            if (inbox)
                inbox->ended = true;
            call->second.pop_front();
            if (call->second.empty())
                calls_.erase(call);
        }
    }

    /* free_userdata: no event follows. */
    void close() {
        std::lock_guard<std::mutex> guard(lock_);
        closed_ = true;
        wake_all_locked();
    }

#if IVRCONF_HPP_EXCEPTIONS
    void keep(std::exception_ptr error) {
        std::lock_guard<std::mutex> guard(lock_);
        if (!kept_)
            kept_ = std::move(error);
        wake_all_locked();
    }
    std::exception_ptr take_kept() {
        std::lock_guard<std::mutex> guard(lock_);
        return std::exchange(kept_, nullptr);
    }
    /* Outside this engine's callbacks, rethrows the exception kept. */
    void raise_kept() {
        if (in_callback())
            return;
        if (std::exception_ptr error = take_kept())
            std::rethrow_exception(error);
    }
#endif

    /* ---- calls into the library, ec style (defined below Call) ---- */
    void wait_ready(Timeout timeout, std::error_code &ec);
    void shutdown(std::error_code &ec);
    void set_log_level(LogLevel level, std::error_code &ec);
    ivrconf_stats stats(std::error_code &ec);
    void set_userdata(std::string_view call_id, void *userdata, std::error_code &ec);
    Call call_new(std::string_view call_id, std::string_view called_num,
                  std::string_view dnis, std::string_view ani, const UserData &udata,
                  std::error_code &ec);
    void call_end(std::string_view call_id, std::error_code &ec);
    CallState state(std::string_view call_id, std::error_code &ec);
    bool can(std::string_view call_id, OpKind kind, std::error_code &ec);
    Operation start(StartFn fn, std::string_view call_id, std::string_view dest,
                    const UserData &udata, std::error_code &ec);
    void proceed(ContinueFn fn, std::string_view call_id, std::error_code &ec);
    std::string trace(std::string_view call_id, TraceFormat format, std::error_code &ec);
    std::optional<Event> next_event(Timeout timeout, std::error_code &ec);

    /* ---- the waits of Call and Operation ---- */
    template <class Match>
    std::optional<Event> take(Inbox &inbox, const std::string &call_id, Match match,
                              std::string_view waiting_for, Timeout timeout, bool raise,
                              std::error_code &ec);
    Outcome await(OpSlot &slot, OpId op, const std::string &call_id, Timeout timeout, bool raise,
                  std::error_code &ec);
    std::optional<Event> done(const OpSlot &slot) {
        std::lock_guard<std::mutex> guard(lock_);
        return slot.done;
    }

private:
    enum class Wake { ready, timed_out, closed };

    /* Waits on `cv` until ready() or the deadline or the engine's free;
     * with `raise`, a callback's exception arriving meanwhile is rethrown
     * (the unique_lock lets go as it unwinds). */
    template <class Ready>
    Wake wait_locked(std::unique_lock<std::mutex> &lk, std::condition_variable &cv,
                     std::chrono::steady_clock::time_point deadline, bool raise, Ready ready) {
        bool timed_out = false;
        for (;;) {
#if IVRCONF_HPP_EXCEPTIONS
            if (raise && kept_)
                std::rethrow_exception(std::exchange(kept_, nullptr));
#else
            (void)raise;
#endif
            if (ready())
                return Wake::ready;
            if (closed_)
                return Wake::closed;
            if (timed_out)
                return Wake::timed_out;
            // Looked at once more after the timeout: the event may have come with it.
            timed_out = cv.wait_until(lk, deadline) == std::cv_status::timeout;
        }
    }

    /* A wait inside the engine's own callback would hold up the very event
     * it waits for. */
    bool may_wait(std::error_code &ec) const {
        if (!in_callback())
            return true;
        fail(ec, Result::invalid_state,
             "cannot wait inside the engine's own callback: the dispatcher would wait for itself");
        return false;
    }

    void wake_all_locked() {
        for (auto &entry : calls_)
            for (auto &weak : entry.second)
                if (std::shared_ptr<Inbox> inbox = weak.lock())
                    inbox->changed.notify_all();
        for (auto &entry : ops_)
            if (std::shared_ptr<OpSlot> slot = entry.second.lock())
                slot->changed.notify_all();
    }

    std::mutex lock_;
    std::condition_variable published_changed_;
    std::atomic<bool> published_{false};
    bool closed_ = false;
    /* Per call id, the inboxes of its announcements in order: the front one
     * is the live call's, a later one the call_new that reused the id before
     * the old call's CALL_ENDED was delivered. Expired entries are kept
     * until that CALL_ENDED, to keep the order. */
    std::unordered_map<std::string, std::deque<std::weak_ptr<Inbox>>> calls_;
    /* Ops started through the binding whose OPERATION_DONE has not arrived. */
    std::unordered_map<OpId, std::weak_ptr<OpSlot>> ops_;
#if IVRCONF_HPP_EXCEPTIONS
    std::exception_ptr kept_;
#endif
};

/* ---- the C callbacks ---- */

inline EngineState &state_of(void *userdata) {
    return **static_cast<std::shared_ptr<EngineState> *>(userdata);
}

inline void on_event_trampoline(void *userdata, const ivrconf_event *ev) {
    EngineState &state = state_of(userdata);
    state.await_published();
    CallbackScope scope(&state);
#if IVRCONF_HPP_EXCEPTIONS
    try {
#endif
        Event e = Event::from(ev);
        state.deliver(e);
        if (state.on_event)
            state.on_event(e);
#if IVRCONF_HPP_EXCEPTIONS
    } catch (...) {
        state.keep(std::current_exception());
    }
#endif
}

inline void on_log_trampoline(void *userdata, std::uint32_t level, const char *message) {
    EngineState &state = state_of(userdata);
    state.await_published();
    CallbackScope scope(&state);
#if IVRCONF_HPP_EXCEPTIONS
    try {
#endif
        state.on_log(static_cast<LogLevel>(level),
                     message != nullptr ? std::string_view(message) : std::string_view());
#if IVRCONF_HPP_EXCEPTIONS
    } catch (...) {
        state.keep(std::current_exception());
    }
#endif
}

inline void on_free_trampoline(void *userdata) {
    auto *holder = static_cast<std::shared_ptr<EngineState> *>(userdata);
    (*holder)->close();
    delete holder;
}

#if IVRCONF_HPP_EXCEPTIONS
/* The throwing form of an ec-style call on an engine: a callback's kept
 * exception first, then the call's own failure. */
template <class F> auto or_throw(EngineState *state, F &&f) {
    if (state != nullptr)
        state->raise_kept();
    return throwing(std::forward<F>(f));
}
#endif

} // namespace detail

/* ---- Operation ---------------------------------------------------------------- */

/** An operation started through the binding: its id, and its one
 * OPERATION_DONE, however it ends. Copies nothing from the library: the
 * engine's delivery fills it. */
class Operation {
public:
    Operation() noexcept = default;

    OpId id() const noexcept { return id_; }
    const std::string &call_id() const noexcept { return call_id_; }
    explicit operator bool() const noexcept { return id_ != 0; }

#if IVRCONF_HPP_EXCEPTIONS
    /** Blocks until the op has ended and returns its outcome; Error(TIMEOUT)
     * when it has not ended within `timeout`. */
    Outcome wait(Timeout timeout) {
        return detail::or_throw(state_.get(), [&](std::error_code &ec) {
            return wait_impl(timeout, true, ec);
        });
    }
#endif
    /** As wait(timeout); Outcome::none and ec set when it has not ended. */
    Outcome wait(Timeout timeout, std::error_code &ec) { return wait_impl(timeout, false, ec); }

    /** The OPERATION_DONE event once it has arrived (call state, party
     * count, failed request, TLibErrCode); nullopt before. Never blocks. */
    std::optional<Event> done() const {
        if (!slot_)
            return std::nullopt;
        return state_->done(*slot_);
    }

private:
    friend class detail::EngineState;
    Operation(std::shared_ptr<detail::EngineState> state, std::shared_ptr<detail::OpSlot> slot,
              OpId id, std::string call_id)
        : state_(std::move(state)), slot_(std::move(slot)), id_(id), call_id_(std::move(call_id)) {}

    Outcome wait_impl(Timeout timeout, bool raise, std::error_code &ec) {
        if (!slot_) {
            detail::fail(ec, Result::null_argument,
                         "empty Operation (moved from, or never started)");
            return Outcome::none;
        }
        return state_->await(*slot_, id_, call_id_, timeout, raise, ec);
    }

    std::shared_ptr<detail::EngineState> state_;
    std::shared_ptr<detail::OpSlot> slot_;
    OpId id_ = 0;
    std::string call_id_;
};

/* ---- Call -------------------------------------------------------------------- */

/** A call announced with Engine::call_new. While the Call lives, every event
 * of the call is kept for it, in order, for next_event() and the waits
 * (each event read is removed; events before the Call existed or after it
 * is gone are not kept). The operations are the Engine's with this id.
 * Move-only; destroying it does not end the call. */
class Call {
public:
    Call() noexcept = default;

    const std::string &id() const noexcept { return id_; }
    explicit operator bool() const noexcept { return inbox_ != nullptr; }

#if IVRCONF_HPP_EXCEPTIONS
    /** The call's oldest unread event; nullopt when none comes within
     * `timeout`. Error(UNKNOWN_CALL) once the call's CALL_ENDED has been
     * read, Error(SHUT_DOWN) once the engine is freed and all is read. */
    std::optional<Event> next_event(Timeout timeout) {
        std::error_code ec;
        detail::EngineState *state = state_.get();
        if (state != nullptr)
            state->raise_kept();
        std::optional<Event> e = next_event_impl(timeout, true, ec);
        if (ec && ec != Result::timeout)
            detail::throw_error(ec);
        return e;
    }
    /** Reads (and drops) events until one satisfies `match`, and returns
     * it; Error(TIMEOUT) when none does within `timeout`. */
    template <class Match> Event wait_for(Match match, Timeout timeout) {
        return detail::or_throw(state_.get(), [&](std::error_code &ec) {
            return wait_impl(match, "no matching event", timeout, true, ec).value_or(Event());
        });
    }
    /** wait_for a CALL_STATUS `status`. */
    Event wait_status(Status status, Timeout timeout) {
        return detail::or_throw(state_.get(), [&](std::error_code &ec) {
            return wait_status_impl(status, timeout, true, ec).value_or(Event());
        });
    }
    /** wait_for the call's CALL_ENDED. */
    Event wait_ended(Timeout timeout) {
        return detail::or_throw(state_.get(), [&](std::error_code &ec) {
            return wait_ended_impl(timeout, true, ec).value_or(Event());
        });
    }

    void end() {
        detail::or_throw(state_.get(), [&](std::error_code &ec) { end(ec); });
    }
    /** Engine::set_call_userdata for this call. */
    void set_userdata(void *userdata) {
        detail::or_throw(state_.get(), [&](std::error_code &ec) { set_userdata(userdata, ec); });
    }
    CallState state() const {
        return detail::or_throw(state_.get(), [&](std::error_code &ec) { return state(ec); });
    }
    bool can(OpKind kind) const {
        return detail::or_throw(state_.get(), [&](std::error_code &) {
            std::error_code refusal;
            return can(kind, refusal);
        });
    }
    Operation conference_one_step(std::string_view dest, const UserData &udata = {}) {
        return detail::or_throw(state_.get(), [&](std::error_code &ec) {
            return conference_one_step(dest, udata, ec);
        });
    }
    Operation conference_init(std::string_view dest, const UserData &udata = {}) {
        return detail::or_throw(state_.get(), [&](std::error_code &ec) {
            return conference_init(dest, udata, ec);
        });
    }
    void conference_complete() {
        detail::or_throw(state_.get(), [&](std::error_code &ec) { conference_complete(ec); });
    }
    Operation transfer_one_step(std::string_view dest, const UserData &udata = {}) {
        return detail::or_throw(state_.get(), [&](std::error_code &ec) {
            return transfer_one_step(dest, udata, ec);
        });
    }
    Operation transfer_init(std::string_view dest, const UserData &udata = {}) {
        return detail::or_throw(state_.get(), [&](std::error_code &ec) {
            return transfer_init(dest, udata, ec);
        });
    }
    void transfer_complete() {
        detail::or_throw(state_.get(), [&](std::error_code &ec) { transfer_complete(ec); });
    }
    void consult_cancel() {
        detail::or_throw(state_.get(), [&](std::error_code &ec) { consult_cancel(ec); });
    }
    std::string trace(TraceFormat format = TraceFormat::text) const {
        return detail::or_throw(state_.get(),
                                [&](std::error_code &ec) { return trace(format, ec); });
    }
#endif

    std::optional<Event> next_event(Timeout timeout, std::error_code &ec) {
        return next_event_impl(timeout, false, ec);
    }
    template <class Match>
    std::optional<Event> wait_for(Match match, Timeout timeout, std::error_code &ec) {
        return wait_impl(match, "no matching event", timeout, false, ec);
    }
    std::optional<Event> wait_status(Status status, Timeout timeout, std::error_code &ec) {
        return wait_status_impl(status, timeout, false, ec);
    }
    std::optional<Event> wait_ended(Timeout timeout, std::error_code &ec) {
        return wait_ended_impl(timeout, false, ec);
    }

    void end(std::error_code &ec) {
        if (detail::EngineState *s = need(ec))
            s->call_end(id_, ec);
    }
    void set_userdata(void *userdata, std::error_code &ec) {
        if (detail::EngineState *s = need(ec))
            s->set_userdata(id_, userdata, ec);
    }
    CallState state(std::error_code &ec) const {
        detail::EngineState *s = need(ec);
        return s != nullptr ? s->state(id_, ec) : CallState::none;
    }
    /** True when `kind` may start now; otherwise ec is the code starting it
     * would return. */
    bool can(OpKind kind, std::error_code &ec) const {
        detail::EngineState *s = need(ec);
        return s != nullptr && s->can(id_, kind, ec);
    }
    Operation conference_one_step(std::string_view dest, const UserData &udata,
                                  std::error_code &ec) {
        return start(&ivrconf_conference_one_step, dest, udata, ec);
    }
    Operation conference_init(std::string_view dest, const UserData &udata, std::error_code &ec) {
        return start(&ivrconf_conference_init, dest, udata, ec);
    }
    void conference_complete(std::error_code &ec) { proceed(&ivrconf_conference_complete, ec); }
    Operation transfer_one_step(std::string_view dest, const UserData &udata,
                                std::error_code &ec) {
        return start(&ivrconf_transfer_one_step, dest, udata, ec);
    }
    Operation transfer_init(std::string_view dest, const UserData &udata, std::error_code &ec) {
        return start(&ivrconf_transfer_init, dest, udata, ec);
    }
    void transfer_complete(std::error_code &ec) { proceed(&ivrconf_transfer_complete, ec); }
    void consult_cancel(std::error_code &ec) { proceed(&ivrconf_consult_cancel, ec); }
    std::string trace(TraceFormat format, std::error_code &ec) const {
        detail::EngineState *s = need(ec);
        return s != nullptr ? s->trace(id_, format, ec) : std::string();
    }

private:
    friend class detail::EngineState;
    Call(std::shared_ptr<detail::EngineState> state, std::shared_ptr<detail::Inbox> inbox,
         std::string id)
        : state_(std::move(state)), inbox_(std::move(inbox)), id_(std::move(id)) {}

    detail::EngineState *need(std::error_code &ec) const {
        if (!state_)
            detail::fail(ec, Result::null_argument, "empty Call (moved from, or call_new failed)");
        return state_.get();
    }
    Operation start(detail::StartFn fn, std::string_view dest, const UserData &udata,
                    std::error_code &ec) {
        detail::EngineState *s = need(ec);
        return s != nullptr ? s->start(fn, id_, dest, udata, ec) : Operation();
    }
    void proceed(detail::ContinueFn fn, std::error_code &ec) {
        if (detail::EngineState *s = need(ec))
            s->proceed(fn, id_, ec);
    }
    template <class Match>
    std::optional<Event> wait_impl(Match &match, std::string_view waiting_for, Timeout timeout,
                                   bool raise, std::error_code &ec) {
        detail::EngineState *s = need(ec);
        if (s == nullptr)
            return std::nullopt;
        return s->take(*inbox_, id_, match, waiting_for, timeout, raise, ec);
    }
    std::optional<Event> next_event_impl(Timeout timeout, bool raise, std::error_code &ec) {
        auto any = [](const Event &) { return true; };
        return wait_impl(any, "no event", timeout, raise, ec);
    }
    std::optional<Event> wait_status_impl(Status status, Timeout timeout, bool raise,
                                          std::error_code &ec) {
        auto is_status = [status](const Event &e) {
            return e.kind == EventKind::call_status && e.status == status;
        };
        return wait_impl(is_status, "no CALL_STATUS " + std::string(to_string(status)), timeout,
                         raise, ec);
    }
    std::optional<Event> wait_ended_impl(Timeout timeout, bool raise, std::error_code &ec) {
        auto is_ended = [](const Event &e) { return e.kind == EventKind::call_ended; };
        return wait_impl(is_ended, "no CALL_ENDED", timeout, raise, ec);
    }

    std::shared_ptr<detail::EngineState> state_;
    std::shared_ptr<detail::Inbox> inbox_;
    std::string id_;
};

/* ---- Engine ------------------------------------------------------------------ */

/** Selects poll mode: `Engine engine(cfg, ivrconf::poll_mode);`. Not made
 * from `{}`, which stays an empty EventHandler. */
struct PollMode {
    struct Tag {};
    constexpr explicit PollMode(Tag) noexcept {}
};
inline constexpr PollMode poll_mode{PollMode::Tag{}};

/** Owns an ivrconf_engine. Every method may be called from any thread,
 * concurrently, and from inside the engine's callbacks (the waits excepted:
 * they refuse with INVALID_STATE there). The destructor frees the engine:
 * from outside a callback, no callback runs after it returns. Destroy
 * Calls and Operations, or stop using them, before the Engine: once it is
 * freed their waits end (SHUT_DOWN once everything kept is read) and their
 * other methods fail with SHUT_DOWN. */
class Engine {
public:
    /** Receives every event, on the dispatcher thread, after it has been
     * filed for Calls and Operations. */
    using EventHandler = detail::EventHandler;
    /** Receives each log line, on the dispatcher thread; the view is valid
     * during the call. Without one, IVRCONF_LOG=<level> logs to stderr. */
    using LogHandler = detail::LogHandler;

#if IVRCONF_HPP_EXCEPTIONS
    /** Callback mode: starts the engine (it connects in the background).
     * `on_event` may be empty: the events then only reach Calls and
     * Operations. */
    explicit Engine(const Config &cfg, EventHandler on_event = {}, LogHandler on_log = {}) {
        std::error_code ec;
        start(cfg, true, std::move(on_event), std::move(on_log), ec);
        detail::throw_if(ec);
    }
    /** Poll mode: events are read with next_event() / events(). */
    Engine(const Config &cfg, PollMode, LogHandler on_log = {}) {
        std::error_code ec;
        start(cfg, false, {}, std::move(on_log), ec);
        detail::throw_if(ec);
    }
#endif
    static Engine create(const Config &cfg, EventHandler on_event, LogHandler on_log,
                         std::error_code &ec) {
        return Engine(cfg, true, std::move(on_event), std::move(on_log), ec);
    }
    static Engine create(const Config &cfg, PollMode, LogHandler on_log, std::error_code &ec) {
        return Engine(cfg, false, {}, std::move(on_log), ec);
    }

    Engine(Engine &&other) noexcept
        : state_(std::move(other.state_)), poll_(other.poll_) {}
    Engine &operator=(Engine &&other) noexcept {
        if (this != &other) {
            free_now();
            state_ = std::move(other.state_);
            poll_ = other.poll_;
        }
        return *this;
    }
    Engine(const Engine &) = delete;
    Engine &operator=(const Engine &) = delete;
    /** ivrconf_engine_free; an exception still kept from a callback is dropped. */
    ~Engine() { free_now(); }

    /** The handle, for calling the C API directly; NULL when empty. */
    ivrconf_engine *get() const noexcept { return state_ ? state_->handle.load() : nullptr; }
    explicit operator bool() const noexcept { return get() != nullptr; }
    bool is_poll_mode() const noexcept { return poll_; }

#if IVRCONF_HPP_EXCEPTIONS
    /** Frees the engine now (as the destructor), then rethrows an exception
     * still kept from a callback (not when called inside one). */
    void close() {
        std::shared_ptr<detail::EngineState> state = state_;
        free_now();
        if (state)
            state->raise_kept();
    }
    /** The exception kept from a callback, handed over instead of thrown. */
    std::exception_ptr take_callback_error() {
        return state_ ? state_->take_kept() : nullptr;
    }

    void wait_ready(Timeout timeout) {
        detail::or_throw(state_.get(), [&](std::error_code &ec) { wait_ready(timeout, ec); });
    }
    void shutdown() {
        detail::or_throw(state_.get(), [&](std::error_code &ec) { shutdown(ec); });
    }
    /** The level of the lines logged from now on (to the LogHandler, or to
     * stderr under IVRCONF_LOG). */
    void set_log_level(LogLevel level) {
        detail::or_throw(state_.get(), [&](std::error_code &ec) { set_log_level(level, ec); });
    }
    /** The engine's counters now (struct_size: the bytes the library filled). */
    ivrconf_stats stats() const {
        return detail::or_throw(state_.get(), [&](std::error_code &ec) { return stats(ec); });
    }
    /** Attaches `userdata` to a live call: its later events carry it in
     * Event::call_userdata; nullptr clears it. Never dereferenced. */
    void set_call_userdata(std::string_view call_id, void *userdata) {
        detail::or_throw(state_.get(),
                         [&](std::error_code &ec) { set_call_userdata(call_id, userdata, ec); });
    }
    /** Announces a call (NewCall); the Call keeps its events. `dnis`, `ani`
     * empty: left out. */
    Call call_new(std::string_view call_id, std::string_view called_num,
                  std::string_view dnis = {}, std::string_view ani = {},
                  const UserData &udata = {});
    void call_end(std::string_view call_id) {
        detail::or_throw(state_.get(), [&](std::error_code &ec) { call_end(call_id, ec); });
    }
    CallState state(std::string_view call_id) const {
        return detail::or_throw(state_.get(),
                                [&](std::error_code &ec) { return state(call_id, ec); });
    }
    /** True when `kind` may start on the call now (never throws for a
     * refusal; last_error() says why not). */
    bool can(std::string_view call_id, OpKind kind) const {
        return detail::or_throw(state_.get(), [&](std::error_code &) {
            std::error_code refusal;
            return can(call_id, kind, refusal);
        });
    }
    Operation conference_one_step(std::string_view call_id, std::string_view dest,
                                  const UserData &udata = {}) {
        return start_or_throw(&ivrconf_conference_one_step, call_id, dest, udata);
    }
    Operation conference_init(std::string_view call_id, std::string_view dest,
                              const UserData &udata = {}) {
        return start_or_throw(&ivrconf_conference_init, call_id, dest, udata);
    }
    void conference_complete(std::string_view call_id) {
        proceed_or_throw(&ivrconf_conference_complete, call_id);
    }
    Operation transfer_one_step(std::string_view call_id, std::string_view dest,
                                const UserData &udata = {}) {
        return start_or_throw(&ivrconf_transfer_one_step, call_id, dest, udata);
    }
    Operation transfer_init(std::string_view call_id, std::string_view dest,
                            const UserData &udata = {}) {
        return start_or_throw(&ivrconf_transfer_init, call_id, dest, udata);
    }
    void transfer_complete(std::string_view call_id) {
        proceed_or_throw(&ivrconf_transfer_complete, call_id);
    }
    void consult_cancel(std::string_view call_id) {
        proceed_or_throw(&ivrconf_consult_cancel, call_id);
    }
    /** The call's trace (a live call, or one recently ended) rendered now. */
    std::string trace(std::string_view call_id, TraceFormat format = TraceFormat::text) const {
        return detail::or_throw(state_.get(),
                                [&](std::error_code &ec) { return trace(call_id, format, ec); });
    }
    /** Poll mode: the oldest queued event, or nullopt when none comes within
     * `timeout`. Error(SHUT_DOWN) after shutdown() once the queue is empty. */
    std::optional<Event> next_event(Timeout timeout) {
        if (state_)
            state_->raise_kept();
        std::error_code ec;
        std::optional<Event> e = next_event(timeout, ec);
        if (ec && ec != Result::timeout)
            detail::throw_error(ec);
        return e;
    }
#endif

    /** Frees the engine now, as the destructor does. */
    void reset() noexcept { free_now(); }

    void wait_ready(Timeout timeout, std::error_code &ec) {
        if (detail::EngineState *s = need(ec))
            s->wait_ready(timeout, ec);
    }
    void shutdown(std::error_code &ec) {
        if (detail::EngineState *s = need(ec))
            s->shutdown(ec);
    }
    void set_log_level(LogLevel level, std::error_code &ec) {
        if (detail::EngineState *s = need(ec))
            s->set_log_level(level, ec);
    }
    ivrconf_stats stats(std::error_code &ec) const {
        detail::EngineState *s = need(ec);
        return s != nullptr ? s->stats(ec) : ivrconf_stats{};
    }
    void set_call_userdata(std::string_view call_id, void *userdata, std::error_code &ec) {
        if (detail::EngineState *s = need(ec))
            s->set_userdata(call_id, userdata, ec);
    }
    Call call_new(std::string_view call_id, std::string_view called_num, std::string_view dnis,
                  std::string_view ani, const UserData &udata, std::error_code &ec);
    void call_end(std::string_view call_id, std::error_code &ec) {
        if (detail::EngineState *s = need(ec))
            s->call_end(call_id, ec);
    }
    CallState state(std::string_view call_id, std::error_code &ec) const {
        detail::EngineState *s = need(ec);
        return s != nullptr ? s->state(call_id, ec) : CallState::none;
    }
    /** True when `kind` may start now; otherwise ec is the code starting it
     * would return. */
    bool can(std::string_view call_id, OpKind kind, std::error_code &ec) const {
        detail::EngineState *s = need(ec);
        return s != nullptr && s->can(call_id, kind, ec);
    }
    Operation conference_one_step(std::string_view call_id, std::string_view dest,
                                  const UserData &udata, std::error_code &ec) {
        return start(&ivrconf_conference_one_step, call_id, dest, udata, ec);
    }
    Operation conference_init(std::string_view call_id, std::string_view dest,
                              const UserData &udata, std::error_code &ec) {
        return start(&ivrconf_conference_init, call_id, dest, udata, ec);
    }
    void conference_complete(std::string_view call_id, std::error_code &ec) {
        proceed(&ivrconf_conference_complete, call_id, ec);
    }
    Operation transfer_one_step(std::string_view call_id, std::string_view dest,
                                const UserData &udata, std::error_code &ec) {
        return start(&ivrconf_transfer_one_step, call_id, dest, udata, ec);
    }
    Operation transfer_init(std::string_view call_id, std::string_view dest,
                            const UserData &udata, std::error_code &ec) {
        return start(&ivrconf_transfer_init, call_id, dest, udata, ec);
    }
    void transfer_complete(std::string_view call_id, std::error_code &ec) {
        proceed(&ivrconf_transfer_complete, call_id, ec);
    }
    void consult_cancel(std::string_view call_id, std::error_code &ec) {
        proceed(&ivrconf_consult_cancel, call_id, ec);
    }
    std::string trace(std::string_view call_id, TraceFormat format, std::error_code &ec) const {
        detail::EngineState *s = need(ec);
        return s != nullptr ? s->trace(call_id, format, ec) : std::string();
    }
    /** Poll mode: as next_event(timeout), with TIMEOUT reported in ec. */
    std::optional<Event> next_event(Timeout timeout, std::error_code &ec) {
        detail::EngineState *s = need(ec);
        return s != nullptr ? s->next_event(timeout, ec) : std::nullopt;
    }
    /** Poll mode: the events as a range, `for (const Event &e :
     * engine.events(timeout))`; it ends when none comes within `timeout` or
     * the engine is shut down and drained (end_reason() says which). */
    EventRange events(Timeout timeout);

private:
    Engine(const Config &cfg, bool callbacks, EventHandler on_event, LogHandler on_log,
           std::error_code &ec) {
        start(cfg, callbacks, std::move(on_event), std::move(on_log), ec);
    }

    void start(const Config &cfg, bool callbacks, EventHandler on_event, LogHandler on_log,
               std::error_code &ec) {
        auto state = std::make_shared<detail::EngineState>();
        state->on_event = std::move(on_event);
        state->on_log = std::move(on_log);
        bool logs = static_cast<bool>(state->on_log);
        // Set before the engine's threads start, so that a handler that
        // reaches this Engine finds it complete (callbacks wait for publish).
        state_ = state;
        poll_ = !callbacks;
        auto holder = std::make_unique<std::shared_ptr<detail::EngineState>>(state);
        ivrconf_engine *e = nullptr;
        ivrconf_result r = ivrconf_engine_new(
            cfg.get(), callbacks ? &detail::on_event_trampoline : nullptr,
            logs ? &detail::on_log_trampoline : nullptr, holder.get(),
            &detail::on_free_trampoline, &e);
        if (!detail::check(r, ec)) {
            state_.reset(); // no callback has run, free_userdata included
            return;
        }
        holder.release(); // free_userdata deletes it
        state->publish(e);
    }

    void free_now() noexcept {
        if (!state_)
            return;
        ivrconf_engine_free(state_->handle.exchange(nullptr));
        state_.reset();
    }

    detail::EngineState *need(std::error_code &ec) const {
        if (!state_)
            detail::fail(ec, Result::null_argument, "empty Engine (moved from, or create failed)");
        return state_.get();
    }
    Operation start(detail::StartFn fn, std::string_view call_id, std::string_view dest,
                    const UserData &udata, std::error_code &ec);
    void proceed(detail::ContinueFn fn, std::string_view call_id, std::error_code &ec) {
        if (detail::EngineState *s = need(ec))
            s->proceed(fn, call_id, ec);
    }
#if IVRCONF_HPP_EXCEPTIONS
    Operation start_or_throw(detail::StartFn fn, std::string_view call_id, std::string_view dest,
                             const UserData &udata) {
        return detail::or_throw(state_.get(), [&](std::error_code &ec) {
            return start(fn, call_id, dest, udata, ec);
        });
    }
    void proceed_or_throw(detail::ContinueFn fn, std::string_view call_id) {
        detail::or_throw(state_.get(), [&](std::error_code &ec) { proceed(fn, call_id, ec); });
    }
#endif

    std::shared_ptr<detail::EngineState> state_;
    bool poll_ = false;
};

/* ---- EventRange ------------------------------------------------------------ */

/** Poll mode's events as an input range (Engine::events). Each step waits up
 * to the timeout for the next event; the range ends on TIMEOUT or SHUT_DOWN
 * (end_reason()). Any other failure throws, or, without exceptions, ends
 * the range with that reason. */
class EventRange {
public:
    class iterator {
    public:
        using iterator_category = std::input_iterator_tag;
        using value_type = Event;
        using difference_type = std::ptrdiff_t;
        using pointer = const Event *;
        using reference = const Event &;

        iterator() noexcept = default;
        reference operator*() const { return *range_->current_; }
        pointer operator->() const { return &*range_->current_; }
        iterator &operator++() {
            range_->advance();
            if (!range_->current_)
                range_ = nullptr;
            return *this;
        }
        void operator++(int) { ++*this; }
        bool operator==(const iterator &other) const noexcept { return range_ == other.range_; }
        bool operator!=(const iterator &other) const noexcept { return range_ != other.range_; }

    private:
        friend class EventRange;
        explicit iterator(EventRange *range) noexcept : range_(range) {}
        EventRange *range_ = nullptr;
    };

    iterator begin() {
        advance();
        return iterator(current_ ? this : nullptr);
    }
    iterator end() noexcept { return iterator(); }

    /** Why the range ended: Result::timeout, Result::shut_down, or (without
     * exceptions) the failure that ended it. Clear while it runs. */
    const std::error_code &end_reason() const noexcept { return end_reason_; }

private:
    friend class Engine;
    EventRange(std::shared_ptr<detail::EngineState> state, Timeout timeout) noexcept
        : state_(std::move(state)), timeout_(timeout) {}

    void advance() {
        current_.reset();
        if (!state_) {
            detail::fail(end_reason_, Result::null_argument, "empty Engine");
        } else {
#if IVRCONF_HPP_EXCEPTIONS
            state_->raise_kept();
#endif
            current_ = state_->next_event(timeout_, end_reason_);
        }
#if IVRCONF_HPP_EXCEPTIONS
        if (end_reason_ && end_reason_ != Result::timeout && end_reason_ != Result::shut_down)
            detail::throw_error(end_reason_);
#endif
    }

    std::shared_ptr<detail::EngineState> state_;
    Timeout timeout_;
    std::optional<Event> current_;
    std::error_code end_reason_;
};

inline EventRange Engine::events(Timeout timeout) { return EventRange(state_, timeout); }

/* ---- definitions that need Call and Operation complete ------------------- */

#if IVRCONF_HPP_EXCEPTIONS
inline Call Engine::call_new(std::string_view call_id, std::string_view called_num,
                             std::string_view dnis, std::string_view ani, const UserData &udata) {
    return detail::or_throw(state_.get(), [&](std::error_code &ec) {
        return call_new(call_id, called_num, dnis, ani, udata, ec);
    });
}
#endif

inline Call Engine::call_new(std::string_view call_id, std::string_view called_num,
                             std::string_view dnis, std::string_view ani, const UserData &udata,
                             std::error_code &ec) {
    detail::EngineState *s = need(ec);
    return s != nullptr ? s->call_new(call_id, called_num, dnis, ani, udata, ec) : Call();
}

inline Operation Engine::start(detail::StartFn fn, std::string_view call_id,
                               std::string_view dest, const UserData &udata,
                               std::error_code &ec) {
    detail::EngineState *s = need(ec);
    return s != nullptr ? s->start(fn, call_id, dest, udata, ec) : Operation();
}

namespace detail {

inline void EngineState::wait_ready(Timeout timeout, std::error_code &ec) {
    if (ivrconf_engine *e = engine(ec))
        check(ivrconf_engine_wait_ready(e, c_ms(timeout)), ec);
}

inline void EngineState::shutdown(std::error_code &ec) {
    if (ivrconf_engine *e = engine(ec))
        check(ivrconf_engine_shutdown(e), ec);
}

inline void EngineState::set_log_level(LogLevel level, std::error_code &ec) {
    if (ivrconf_engine *e = engine(ec))
        check(ivrconf_engine_set_log_level(e, static_cast<std::uint32_t>(level)), ec);
}

inline ivrconf_stats EngineState::stats(std::error_code &ec) {
    ivrconf_stats out{};
    out.struct_size = sizeof(ivrconf_stats);
    if (ivrconf_engine *e = engine(ec))
        check(ivrconf_engine_stats(e, &out), ec);
    return out;
}

inline void EngineState::set_userdata(std::string_view call_id, void *userdata,
                                      std::error_code &ec) {
    std::string id;
    ivrconf_engine *e = nullptr;
    if (c_text(call_id, "call_id", id, ec) && (e = engine(ec)) != nullptr)
        check(ivrconf_call_set_userdata(e, id.c_str(), userdata), ec);
}

inline Call EngineState::call_new(std::string_view call_id, std::string_view called_num,
                                  std::string_view dnis, std::string_view ani,
                                  const UserData &udata, std::error_code &ec) {
    std::string id, called, d, a;
    CUserData kv;
    if (!c_text(call_id, "call_id", id, ec) || !c_text(called_num, "called_num", called, ec) ||
        !c_text(dnis, "dnis", d, ec) || !c_text(ani, "ani", a, ec) || !kv.build(udata, ec))
        return Call();
    ivrconf_engine *e = engine(ec);
    if (e == nullptr)
        return Call();
    auto inbox = std::make_shared<Inbox>();
    {
        std::lock_guard<std::mutex> guard(lock_);
        auto &queue = calls_[id];
        queue.push_back(inbox);
        if (!check(ivrconf_call_new(e, id.c_str(), called.c_str(), d.c_str(), a.c_str(),
                                    kv.data(), kv.size()),
                   ec)) {
            queue.pop_back();
            if (queue.empty())
                calls_.erase(id);
            return Call();
        }
    }
    return Call(shared_from_this(), std::move(inbox), std::move(id));
}

inline void EngineState::call_end(std::string_view call_id, std::error_code &ec) {
    proceed(&ivrconf_call_end, call_id, ec);
}

inline CallState EngineState::state(std::string_view call_id, std::error_code &ec) {
    std::string id;
    std::uint32_t value = 0;
    ivrconf_engine *e = nullptr;
    if (c_text(call_id, "call_id", id, ec) && (e = engine(ec)) != nullptr)
        check(ivrconf_call_state(e, id.c_str(), &value), ec);
    return ec ? CallState::none : static_cast<CallState>(value);
}

inline bool EngineState::can(std::string_view call_id, OpKind kind, std::error_code &ec) {
    std::string id;
    ivrconf_engine *e = nullptr;
    return c_text(call_id, "call_id", id, ec) && (e = engine(ec)) != nullptr &&
           check(ivrconf_call_can(e, id.c_str(), static_cast<std::uint32_t>(kind)), ec);
}

inline Operation EngineState::start(StartFn fn, std::string_view call_id, std::string_view dest,
                                    const UserData &udata, std::error_code &ec) {
    std::string id, d;
    CUserData kv;
    if (!c_text(call_id, "call_id", id, ec) || !c_text(dest, "dest", d, ec) ||
        !kv.build(udata, ec))
        return Operation();
    ivrconf_engine *e = engine(ec);
    if (e == nullptr)
        return Operation();
    auto slot = std::make_shared<OpSlot>();
    OpId op = 0;
    {
        std::lock_guard<std::mutex> guard(lock_);
        if (!check(fn(e, id.c_str(), d.c_str(), kv.data(), kv.size(), &op), ec))
            return Operation();
        ops_[op] = slot;
    }
    return Operation(shared_from_this(), std::move(slot), op, std::move(id));
}

inline void EngineState::proceed(ContinueFn fn, std::string_view call_id, std::error_code &ec) {
    std::string id;
    ivrconf_engine *e = nullptr;
    if (c_text(call_id, "call_id", id, ec) && (e = engine(ec)) != nullptr)
        check(fn(e, id.c_str()), ec);
}

inline std::string EngineState::trace(std::string_view call_id, TraceFormat format,
                                      std::error_code &ec) {
    std::string id;
    ivrconf_engine *e = nullptr;
    char *out = nullptr;
    if (!c_text(call_id, "call_id", id, ec) || (e = engine(ec)) == nullptr ||
        !check(ivrconf_call_trace(e, id.c_str(), static_cast<std::uint32_t>(format), &out), ec))
        return std::string();
    std::unique_ptr<char, void (*)(char *)> owned(out, &ivrconf_string_free);
    return std::string(owned.get());
}

inline std::optional<Event> EngineState::next_event(Timeout timeout, std::error_code &ec) {
    ivrconf_engine *e = engine(ec);
    ivrconf_event *raw = nullptr;
    if (e == nullptr || !check(ivrconf_engine_next_event(e, c_ms(timeout), &raw), ec))
        return std::nullopt;
    OwnedEvent owned(raw);
    Event event = owned.to_event();
    deliver(event);
    return event;
}

template <class Match>
std::optional<Event> EngineState::take(Inbox &inbox, const std::string &call_id, Match match,
                                       std::string_view waiting_for, Timeout timeout, bool raise,
                                       std::error_code &ec) {
    if (!may_wait(ec))
        return std::nullopt;
    const std::uint32_t ms = c_ms(timeout);
    const auto deadline = std::chrono::steady_clock::now() + Timeout(ms);
    std::unique_lock<std::mutex> lk(lock_);
    for (;;) {
        Wake wake = wait_locked(lk, inbox.changed, deadline, raise,
                                [&] { return !inbox.events.empty() || inbox.ended; });
        while (!inbox.events.empty()) {
            Event e = std::move(inbox.events.front());
            inbox.events.pop_front();
            if (match(static_cast<const Event &>(e))) {
                ec.clear();
                return e;
            }
        }
        if (inbox.ended) {
            fail(ec, Result::unknown_call,
                 "call '" + call_id + "' has ended and its last event has been read");
            return std::nullopt;
        }
        if (wake == Wake::closed) {
            fail(ec, Result::shut_down,
                 "the engine has been freed: call '" + call_id + "' gets no more events");
            return std::nullopt;
        }
        if (wake == Wake::timed_out) {
            fail(ec, Result::timeout,
                 std::string(waiting_for) + " for call '" + call_id + "' within " +
                     std::to_string(ms) + " ms");
            return std::nullopt;
        }
    }
}

inline Outcome EngineState::await(OpSlot &slot, OpId op, const std::string &call_id,
                                  Timeout timeout, bool raise, std::error_code &ec) {
    if (!may_wait(ec))
        return Outcome::none;
    const std::uint32_t ms = c_ms(timeout);
    const auto deadline = std::chrono::steady_clock::now() + Timeout(ms);
    std::unique_lock<std::mutex> lk(lock_);
    switch (wait_locked(lk, slot.changed, deadline, raise, [&] { return slot.done.has_value(); })) {
    case Wake::ready:
        ec.clear();
        return slot.done->outcome;
    case Wake::closed:
        // Poll mode discards unread events at free, the OPERATION_DONE too.
        fail(ec, Result::shut_down,
             "the engine has been freed before op " + std::to_string(op) + " (call '" + call_id +
                 "') was seen to end");
        return Outcome::none;
    case Wake::timed_out:
        break;
    }
    fail(ec, Result::timeout,
         "no OPERATION_DONE for op " + std::to_string(op) + " (call '" + call_id + "') within " +
             std::to_string(ms) + " ms");
    return Outcome::none;
}

} // namespace detail
} // namespace ivrconf

#endif /* IVRCONF_HPP */

/*
 * cpp_values.cpp -- the binding's values, no engine running: every
 * constant of ivrconf.h has its enum value and to_string() name, errors
 * carry code, name and reason (thrown and as std::error_code), strings with
 * a NUL inside are refused, the owners are empty after a move or a failed
 * create, and an empty owner fails instead of crashing.
 * Run from the repository root (it reads include/ivrconf.h).
 */
#include <cstring>
#include <fstream>
#include <regex>
#include <vector>

#include "check.hpp"
#include "example.hpp"

using namespace ivrconf;
using namespace std::chrono_literals;

namespace {

struct Constant {
    const char *c_name;
    std::uint32_t c_value;
    std::uint32_t cpp_value;
    std::string_view cpp_name;
    const char *prefix;
};

#define C(enumerator, macro, prefix)                                                      \
    Constant {                                                                            \
        #macro, macro, static_cast<std::uint32_t>(enumerator), to_string(enumerator), prefix \
    }

const std::vector<Constant> &constants() {
    static const std::vector<Constant> all = {
        C(Result::ok, IVRCONF_OK, "IVRCONF_"),
        C(Result::null_argument, IVRCONF_ERR_NULL_ARGUMENT, "IVRCONF_ERR_"),
        C(Result::invalid_argument, IVRCONF_ERR_INVALID_ARGUMENT, "IVRCONF_ERR_"),
        C(Result::unknown_key, IVRCONF_ERR_UNKNOWN_KEY, "IVRCONF_ERR_"),
        C(Result::config, IVRCONF_ERR_CONFIG, "IVRCONF_ERR_"),
        C(Result::unknown_call, IVRCONF_ERR_UNKNOWN_CALL, "IVRCONF_ERR_"),
        C(Result::call_exists, IVRCONF_ERR_CALL_EXISTS, "IVRCONF_ERR_"),
        C(Result::not_connected, IVRCONF_ERR_NOT_CONNECTED, "IVRCONF_ERR_"),
        C(Result::operation_pending, IVRCONF_ERR_OPERATION_PENDING, "IVRCONF_ERR_"),
        C(Result::invalid_state, IVRCONF_ERR_INVALID_STATE, "IVRCONF_ERR_"),
        C(Result::timeout, IVRCONF_ERR_TIMEOUT, "IVRCONF_ERR_"),
        C(Result::shut_down, IVRCONF_ERR_SHUT_DOWN, "IVRCONF_ERR_"),
        C(Result::panic, IVRCONF_ERR_PANIC, "IVRCONF_ERR_"),
        C(Result::io, IVRCONF_ERR_IO, "IVRCONF_ERR_"),
        C(EventKind::session_up, IVRCONF_EVENT_SESSION_UP, "IVRCONF_EVENT_"),
        C(EventKind::session_down, IVRCONF_EVENT_SESSION_DOWN, "IVRCONF_EVENT_"),
        C(EventKind::call_status, IVRCONF_EVENT_CALL_STATUS, "IVRCONF_EVENT_"),
        C(EventKind::operation_done, IVRCONF_EVENT_OPERATION_DONE, "IVRCONF_EVENT_"),
        C(EventKind::call_ended, IVRCONF_EVENT_CALL_ENDED, "IVRCONF_EVENT_"),
        C(EventKind::engine_error, IVRCONF_EVENT_ENGINE_ERROR, "IVRCONF_EVENT_"),
        C(Status::dialing, IVRCONF_STATUS_DIALING, "IVRCONF_STATUS_"),
        C(Status::ringing, IVRCONF_STATUS_RINGING, "IVRCONF_STATUS_"),
        C(Status::established, IVRCONF_STATUS_ESTABLISHED, "IVRCONF_STATUS_"),
        C(Status::retrieved, IVRCONF_STATUS_RETRIEVED, "IVRCONF_STATUS_"),
        C(Status::busy, IVRCONF_STATUS_BUSY, "IVRCONF_STATUS_"),
        C(Status::held, IVRCONF_STATUS_HELD, "IVRCONF_STATUS_"),
        C(Status::conf_party_add, IVRCONF_STATUS_CONF_PARTY_ADD, "IVRCONF_STATUS_"),
        C(Status::conf_party_del, IVRCONF_STATUS_CONF_PARTY_DEL, "IVRCONF_STATUS_"),
        C(Status::xfer_complete, IVRCONF_STATUS_XFER_COMPLETE, "IVRCONF_STATUS_"),
        C(Status::released, IVRCONF_STATUS_RELEASED, "IVRCONF_STATUS_"),
        C(Outcome::completed, IVRCONF_OUTCOME_COMPLETED, "IVRCONF_OUTCOME_"),
        C(Outcome::busy, IVRCONF_OUTCOME_BUSY, "IVRCONF_OUTCOME_"),
        C(Outcome::no_answer, IVRCONF_OUTCOME_NO_ANSWER, "IVRCONF_OUTCOME_"),
        C(Outcome::failed, IVRCONF_OUTCOME_FAILED, "IVRCONF_OUTCOME_"),
        C(Outcome::cancelled, IVRCONF_OUTCOME_CANCELLED, "IVRCONF_OUTCOME_"),
        C(Outcome::consult_released, IVRCONF_OUTCOME_CONSULT_RELEASED, "IVRCONF_OUTCOME_"),
        C(Outcome::retrieve_failed, IVRCONF_OUTCOME_RETRIEVE_FAILED, "IVRCONF_OUTCOME_"),
        C(Outcome::call_ended, IVRCONF_OUTCOME_CALL_ENDED, "IVRCONF_OUTCOME_"),
        C(Outcome::timeout, IVRCONF_OUTCOME_TIMEOUT, "IVRCONF_OUTCOME_"),
        C(Outcome::link_lost, IVRCONF_OUTCOME_LINK_LOST, "IVRCONF_OUTCOME_"),
        C(Request::unknown, IVRCONF_REQUEST_UNKNOWN, "IVRCONF_REQUEST_"),
        C(Request::no_such_call, IVRCONF_REQUEST_NO_SUCH_CALL, "IVRCONF_REQUEST_"),
        C(Request::one_step_xfer, IVRCONF_REQUEST_ONE_STEP_XFER, "IVRCONF_REQUEST_"),
        C(Request::one_step_conf, IVRCONF_REQUEST_ONE_STEP_CONF, "IVRCONF_REQUEST_"),
        C(Request::init_conf, IVRCONF_REQUEST_INIT_CONF, "IVRCONF_REQUEST_"),
        C(Request::complete_conf, IVRCONF_REQUEST_COMPLETE_CONF, "IVRCONF_REQUEST_"),
        C(Request::init_xfer, IVRCONF_REQUEST_INIT_XFER, "IVRCONF_REQUEST_"),
        C(Request::complete_xfer, IVRCONF_REQUEST_COMPLETE_XFER, "IVRCONF_REQUEST_"),
        C(Request::retrieve_call, IVRCONF_REQUEST_RETRIEVE_CALL, "IVRCONF_REQUEST_"),
        C(Request::make_call, IVRCONF_REQUEST_MAKE_CALL, "IVRCONF_REQUEST_"),
        C(Request::agent_control, IVRCONF_REQUEST_AGENT_CONTROL, "IVRCONF_REQUEST_"),
        C(Request::not_allowed, IVRCONF_REQUEST_NOT_ALLOWED, "IVRCONF_REQUEST_"),
        C(CallState::active, IVRCONF_CALL_STATE_ACTIVE, "IVRCONF_CALL_STATE_"),
        C(CallState::consulting, IVRCONF_CALL_STATE_CONSULTING, "IVRCONF_CALL_STATE_"),
        C(CallState::consult_established, IVRCONF_CALL_STATE_CONSULT_ESTABLISHED,
          "IVRCONF_CALL_STATE_"),
        C(CallState::held, IVRCONF_CALL_STATE_HELD, "IVRCONF_CALL_STATE_"),
        C(CallState::conferenced, IVRCONF_CALL_STATE_CONFERENCED, "IVRCONF_CALL_STATE_"),
        C(CallState::transferred, IVRCONF_CALL_STATE_TRANSFERRED, "IVRCONF_CALL_STATE_"),
        C(CallState::ended, IVRCONF_CALL_STATE_ENDED, "IVRCONF_CALL_STATE_"),
        C(OpKind::conference_one_step, IVRCONF_OP_CONFERENCE_ONE_STEP, "IVRCONF_OP_"),
        C(OpKind::conference_consult, IVRCONF_OP_CONFERENCE_CONSULT, "IVRCONF_OP_"),
        C(OpKind::transfer_one_step, IVRCONF_OP_TRANSFER_ONE_STEP, "IVRCONF_OP_"),
        C(OpKind::transfer_consult, IVRCONF_OP_TRANSFER_CONSULT, "IVRCONF_OP_"),
        C(OpKind::conference_complete, IVRCONF_OP_CONFERENCE_COMPLETE, "IVRCONF_OP_"),
        C(OpKind::transfer_complete, IVRCONF_OP_TRANSFER_COMPLETE, "IVRCONF_OP_"),
        C(OpKind::consult_cancel, IVRCONF_OP_CONSULT_CANCEL, "IVRCONF_OP_"),
        C(LogLevel::error, IVRCONF_LOG_ERROR, "IVRCONF_LOG_"),
        C(LogLevel::warn, IVRCONF_LOG_WARN, "IVRCONF_LOG_"),
        C(LogLevel::info, IVRCONF_LOG_INFO, "IVRCONF_LOG_"),
        C(LogLevel::debug, IVRCONF_LOG_DEBUG, "IVRCONF_LOG_"),
        C(LogLevel::trace, IVRCONF_LOG_TRACE, "IVRCONF_LOG_"),
        C(TraceFormat::text, IVRCONF_TRACE_TEXT, "IVRCONF_TRACE_"),
        C(TraceFormat::mermaid, IVRCONF_TRACE_MERMAID, "IVRCONF_TRACE_"),
        C(TraceFormat::jsonl, IVRCONF_TRACE_JSONL, "IVRCONF_TRACE_"),
    };
    return all;
}

/* Each enumerator has the C value and is named after the C constant. */
void test_constants() {
    for (const Constant &c : constants()) {
        std::string_view expected = std::string_view(c.c_name).substr(std::strlen(c.prefix));
        t::record(c.cpp_value == c.c_value, c.c_name, __FILE__, __LINE__, "value differs");
        t::record(c.cpp_name == expected, c.c_name, __FILE__, __LINE__,
                  "to_string gives \"" + std::string(c.cpp_name) + "\"");
    }
    // The 0 of each family and a value the binding does not know: "".
    T_CHECK(to_string(EventKind::none).empty() && to_string(Status::none).empty() &&
            to_string(Outcome::none).empty() && to_string(Request::none).empty() &&
            to_string(CallState::none).empty() && to_string(OpKind::none).empty() &&
            to_string(LogLevel::none).empty());
    T_CHECK(to_string(static_cast<Outcome>(99)).empty());
    T_CHECK(to_string(static_cast<Result>(99)).empty());
    // The names agree with the library's own (*_str), the 0 and one value
    // past each family included.
    struct Family {
        const char *prefix;
        const char *(*c_str)(std::uint32_t);
        std::string_view (*cpp_str)(std::uint32_t);
        std::uint32_t last;
    };
    const Family families[] = {
        {"IVRCONF_EVENT_", &ivrconf_event_kind_str,
         [](std::uint32_t v) { return to_string(static_cast<EventKind>(v)); },
         IVRCONF_EVENT_ENGINE_ERROR},
        {"IVRCONF_STATUS_", &ivrconf_status_str,
         [](std::uint32_t v) { return to_string(static_cast<Status>(v)); },
         IVRCONF_STATUS_RELEASED},
        {"IVRCONF_OUTCOME_", &ivrconf_outcome_str,
         [](std::uint32_t v) { return to_string(static_cast<Outcome>(v)); },
         IVRCONF_OUTCOME_LINK_LOST},
        {"IVRCONF_REQUEST_", &ivrconf_request_str,
         [](std::uint32_t v) { return to_string(static_cast<Request>(v)); },
         IVRCONF_REQUEST_NOT_ALLOWED},
        {"IVRCONF_CALL_STATE_", &ivrconf_call_state_str,
         [](std::uint32_t v) { return to_string(static_cast<CallState>(v)); },
         IVRCONF_CALL_STATE_ENDED},
        {"IVRCONF_OP_", &ivrconf_op_kind_str,
         [](std::uint32_t v) { return to_string(static_cast<OpKind>(v)); },
         IVRCONF_OP_CONSULT_CANCEL},
        {"IVRCONF_LOG_", &ivrconf_log_level_str,
         [](std::uint32_t v) { return to_string(static_cast<LogLevel>(v)); }, IVRCONF_LOG_TRACE},
        {"IVRCONF_TRACE_", &ivrconf_trace_format_str,
         [](std::uint32_t v) { return to_string(static_cast<TraceFormat>(v)); },
         IVRCONF_TRACE_JSONL},
    };
    for (const Family &f : families) {
        for (std::uint32_t v = 0; v <= f.last + 1; v++) {
            std::string c_name = f.c_str(v);
            std::string expected = c_name.empty() ? "" : c_name.substr(std::strlen(f.prefix));
            t::record(f.cpp_str(v) == expected, f.prefix, __FILE__, __LINE__,
                      "value " + std::to_string(v) + ": \"" + std::string(f.cpp_str(v)) +
                          "\", the library says \"" + c_name + "\"");
        }
    }
    // The result names agree with the library's own.
    for (std::uint32_t code = 0; code <= IVRCONF_ERR_IO; code++) {
        std::string c_name = ivrconf_result_str(code);
        std::string prefix = code == IVRCONF_OK ? "IVRCONF_" : "IVRCONF_ERR_";
        T_CHECK(c_name.substr(prefix.size()) == to_string(static_cast<Result>(code)));
    }
}

/* Every constant of the committed header is in the table above: a constant
 * added to the C API without its enumerator fails here. */
void test_header_is_covered() {
    std::ifstream header("include/ivrconf.h");
    if (!T_CHECK(header.good()))
        return;
    std::regex define(R"(^#define (IVRCONF_[A-Z_]+) ([0-9]+)\s*$)");
    std::string line;
    int seen = 0;
    while (std::getline(header, line)) {
        std::smatch m;
        if (!std::regex_match(line, m, define) || m[1].str().rfind("IVRCONF_VERSION_", 0) == 0)
            continue;
        seen++;
        bool found = false;
        for (const Constant &c : constants())
            found = found || (m[1].str() == c.c_name &&
                              std::to_string(c.c_value) == m[2].str());
        t::record(found, m[1].str().c_str(), __FILE__, __LINE__,
                  "constant of ivrconf.h without its enumerator");
    }
    T_CHECK(seen == static_cast<int>(constants().size()));
}

void test_error_code() {
    std::error_code ec = Result::timeout;
    T_CHECK(ec.category() == category());
    T_CHECK(std::string(ec.category().name()) == "ivrconf");
    T_CHECK(t::contains(ec.message(), "IVRCONF_ERR_TIMEOUT"));
    T_CHECK(ec == std::errc::timed_out); // via default_error_condition
    T_CHECK(std::error_code(Result::invalid_argument) == std::errc::invalid_argument);
    T_CHECK(ec != Result::shut_down);
    T_CHECK(!std::error_code(Result::ok));
}

void test_errors_thrown() {
    Config cfg;
    try {
        cfg.set("no_such_key", "1");
        T_CHECK(!"set of an unknown key threw");
    } catch (const Error &e) {
        T_CHECK(e.result() == Result::unknown_key);
        T_CHECK(e.code() == Result::unknown_key);
        T_CHECK(e.name() == "IVRCONF_ERR_UNKNOWN_KEY");
        T_CHECK(t::contains(e.detail(), "no_such_key"));
        T_CHECK(std::string(e.what()) == "IVRCONF_ERR_UNKNOWN_KEY: " + e.detail());
        Error copy = e; // copying an exception does not lose anything
        T_CHECK(copy.detail() == e.detail() && std::string(copy.what()) == e.what());
    }
    // An Error is a std::system_error.
    try {
        cfg.set("request_timeout_ms", "-5");
    } catch (const std::system_error &e) {
        T_CHECK(e.code() == Result::invalid_argument);
        T_CHECK(t::contains(e.what(), "request_timeout_ms"));
    }
    T_THROWS(Engine(cfg), Result::config, "");
    T_THROWS(Simulator("not an address"), Result::invalid_argument, "");
    T_THROWS(Config({{"server", "h:1"}, {"bogus", "x"}}), Result::unknown_key, "bogus");
}

void test_errors_as_codes() {
    std::error_code ec = Result::panic; // cleared by a success
    Config cfg = Config::create({{"server", "127.0.0.1:1"}, {"client_name", "IVR"}}, ec);
    T_CHECK(!ec && cfg);
    cfg.set("connect_timeout_ms", "zero", ec);
    T_EC(ec, Result::invalid_argument);
    T_CHECK(t::contains(last_error(), "connect_timeout_ms"));

    Config bad = Config::create({{"server", "h:1"}, {"nope", "1"}}, ec);
    T_EC(ec, Result::unknown_key);
    T_CHECK(!bad);

    Config lacking = Config::create(ec);
    Engine engine = Engine::create(lacking, {}, {}, ec);
    T_EC(ec, Result::config);
    T_CHECK(!engine && engine.get() == nullptr);
    // An empty Engine refuses instead of crashing.
    engine.call_new("c", "5000", "", "", {}, ec);
    T_EC(ec, Result::null_argument);
    engine.wait_ready(1ms, ec);
    T_EC(ec, Result::null_argument);
    T_THROWS(engine.state("c"), Result::null_argument, "empty Engine");

    Simulator sim = Simulator::create("nowhere", ec);
    T_EC(ec, Result::invalid_argument);
    T_CHECK(!sim);
    sim.port(ec);
    T_EC(ec, Result::null_argument);
}

/* A NUL inside a string_view would cut the text short in C: refused, and
 * last_error() gives the binding's reason until the library fails again. */
void test_nul_refused() {
    Config cfg;
    std::error_code ec;
    cfg.set(std::string_view("server\0x", 8), "h:1", ec);
    T_EC(ec, Result::invalid_argument);
    T_CHECK(t::contains(last_error(), "NUL"));
    T_THROWS(cfg.set("client_name", std::string_view("IVR\0", 4)), Result::invalid_argument,
             "value contains a NUL");
    cfg.set("nope", "1", ec);
    T_EC(ec, Result::unknown_key);
    T_CHECK(t::contains(last_error(), "nope")); // the library's reason again
    // Views that are not NUL-terminated are passed whole, no further.
    std::string text = "client_nameXYZ";
    cfg.set(std::string_view(text).substr(0, 11), std::string_view(text).substr(11, 1), ec);
    T_CHECK(!ec);
}

void test_owners() {
    Config a;
    ivrconf_config *raw = a.get();
    Config b = std::move(a);
    T_CHECK(!a && b.get() == raw);
    Config c;
    c = std::move(b); // c's own config is freed (LSan would see a leak)
    T_CHECK(!b && c.get() == raw);
    ivrconf_config *released = c.release();
    T_CHECK(!c && released == raw);
    ivrconf_config_free(released);

    Simulator s1;
    std::uint16_t port = s1.port();
    T_CHECK(port != 0);
    Simulator s2 = std::move(s1);
    T_CHECK(!s1 && s2.port() == port);
    T_THROWS(s2.set("no_such_setting", "1"), Result::unknown_key, "");

    OwnedEvent none;
    T_CHECK(!none && none.kind() == EventKind::none && none.call_id().empty());
    Event e = Event::from(nullptr);
    T_CHECK(e.kind == EventKind::none && e.call_id.empty() && e.tlib_error == -1 &&
            e.text.empty() && e.op_id == 0);
}

void test_version() {
    std::string expected = std::to_string(IVRCONF_VERSION_MAJOR) + "." +
                           std::to_string(IVRCONF_VERSION_MINOR) + "." +
                           std::to_string(IVRCONF_VERSION_PATCH);
    T_CHECK(version() == expected);
    T_CHECK(version_number() == (IVRCONF_VERSION_MAJOR << 16 | IVRCONF_VERSION_MINOR << 8 |
                                 IVRCONF_VERSION_PATCH));
}

void test_timeouts_clamped() {
    T_CHECK(detail::c_ms(Timeout(-5)) == 0);
    T_CHECK(detail::c_ms(std::chrono::hours(24 * 365 * 10)) == UINT32_MAX);
    T_CHECK(detail::c_ms(2s) == 2000);
}

} // namespace

int main() {
    return t::run("cpp_values", [] {
        test_constants();
        test_header_is_covered();
        test_error_code();
        test_errors_thrown();
        test_errors_as_codes();
        test_nul_refused();
        test_owners();
        test_version();
        test_timeouts_clamped();
    });
}

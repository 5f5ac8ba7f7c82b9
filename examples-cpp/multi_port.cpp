/*
 * multi_port.cpp -- the shape of a multi-threaded driver: one Engine shared
 * by every IVR port, each port a worker thread running its caller's flow
 * with its own Call, its own Operation and its own waits.
 *
 *   port 1  consult conference -> 6002      => COMPLETED, CONFERENCED, 3 parties
 *   port 2  consult conference -> busy6003  => BUSY, ACTIVE, 2 parties
 *   port 3  consult conference -> fail6004  => FAILED, ACTIVE, 2 parties
 *   port 4  consult transfer   -> 6005      => COMPLETED, TRANSFERRED
 *
 * The engine is internally synchronised: the workers call it concurrently.
 * Each Call sees only its own call's events, in order, so a worker never
 * reads another port's events and no thread routes them. Errors stay on the
 * worker that met them: an uncaught exception on a std::thread would end
 * the program, so each worker catches and reports.
 */
#include <thread>
#include <vector>

#include "example.hpp"

using namespace ivrconf;

namespace {

struct Port {
    int number;
    const char *dest;
    bool transfer;
    Outcome outcome;
    CallState state;
    unsigned parties;
    bool ok = false;
};

void run_port(Engine &engine, Port &port) {
    try {
        std::string id = "port-" + std::to_string(port.number);
        Call call = engine.call_new(id, "5000");
        Operation op = port.transfer ? call.transfer_init(port.dest, {{"TransferReason", "sales"}})
                                     : call.conference_init(port.dest);
        // Wait for the consulted party's answer, or for the op to end
        // before it (busy, refused), whichever comes first.
        Event e = call.wait_for(
            [](const Event &ev) {
                return (ev.kind == EventKind::call_status && ev.status == Status::established) ||
                       ev.kind == EventKind::operation_done;
            },
            ex::event_timeout);
        if (e.kind == EventKind::call_status) {
            if (port.transfer)
                call.transfer_complete();
            else
                call.conference_complete();
        }
        op.wait(ex::event_timeout);
        port.ok = ex::expect(*op.done(), port.outcome, port.state, port.parties,
                             "port " + std::to_string(port.number) + ": ");
        // After a transfer the IVR is out of the call: the server (or the
        // engine, in time) ends it. Otherwise the port hangs up.
        if (!port.transfer)
            call.end();
        call.wait_ended(ex::event_timeout);
    } catch (const Error &e) {
        ex::say("port " + std::to_string(port.number) + ": " + e.what());
        port.ok = false;
    }
}

} // namespace

int main() {
    return ex::run([] {
        Simulator sim;
        Engine engine(ex::config_for(sim)); // no handler: the Calls get the events
        engine.wait_ready(ex::ready_timeout);

        std::vector<Port> ports = {
            {1, "6002", false, Outcome::completed, CallState::conferenced, 3},
            {2, "busy6003", false, Outcome::busy, CallState::active, 2},
            {3, "fail6004", false, Outcome::failed, CallState::active, 2},
            {4, "6005", true, Outcome::completed, CallState::transferred, 0},
        };
        std::vector<std::thread> workers;
        for (Port &port : ports)
            workers.emplace_back(run_port, std::ref(engine), std::ref(port));
        for (std::thread &worker : workers)
            worker.join();

        std::size_t ok = 0;
        for (const Port &port : ports)
            ok += port.ok ? 1 : 0;
        ex::say(std::to_string(ports.size()) + " ports, " + std::to_string(ok) +
                " flows ended as expected");
        return ok == ports.size() ? 0 : 1;
    });
}

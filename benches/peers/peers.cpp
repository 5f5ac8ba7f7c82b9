// The C/C++ peers of the suite's decode figures (`make bench`): pugixml,
// TinyXML-2 and expat parse the same payload bytes as ivrconf's decoder and
// extract the same fields, timed the way benches/suite/timing.rs times ours
// (repeat until a sample lasts SAMPLE_NS, SAMPLES samples, median ns/op).
//
// Fields: CallId and Event for CallStatus; CallId, CalledNum and every user
// data Name/Val for NewCall. Each value is copied into a std::string, as
// ivrconf's decoder copies it into an owned String, so the result outlives
// the parser's buffer; each timed iteration fills a fresh result and drops
// it. Each parser runs with its default options and keeps its document (or
// parser) between iterations, the cheapest use each offers.
//
// Usage: peers SAMPLES SAMPLE_NS CALLSTATUS_FILE NEWCALL_FILE
// Output, one line each: `FIELDS <peer> <payload> <field>\t<field>...`
// (checked against ivrconf's decode by the suite) and
// `MEDIAN <peer> <payload> <ns per op>`.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>
#include <algorithm>

#include <expat.h>
#include <pugixml.hpp>
#include <tinyxml2.h>

namespace {

struct Extracted {
    std::string call_id;
    std::string event;       // CallStatus
    std::string called_num;  // NewCall
    std::vector<std::pair<std::string, std::string>> udata;

    void clear() {
        call_id.clear();
        event.clear();
        called_num.clear();
        udata.clear();
    }
};

enum class Payload { CallStatus, NewCall };

// ---- pugixml ---------------------------------------------------------------

bool pugi_extract(pugi::xml_document &doc, const std::string &bytes, Payload p, Extracted &out) {
    if (!doc.load_buffer(bytes.data(), bytes.size())) return false;
    pugi::xml_node msg = doc.child("GctiMsg");
    out.call_id = msg.child_value("CallId");
    if (p == Payload::CallStatus) {
        out.event = msg.child("CallStatus").attribute("Event").value();
    } else {
        pugi::xml_node nc = msg.child("NewCall");
        out.called_num = nc.child_value("CalledNum");
        for (pugi::xml_node n : nc.child("UDataEx").children("Node"))
            out.udata.emplace_back(n.attribute("Name").value(), n.attribute("Val").value());
    }
    return true;
}

// ---- TinyXML-2 -------------------------------------------------------------

const char *text_of(const tinyxml2::XMLElement *e) {
    const char *t = e ? e->GetText() : nullptr;
    return t ? t : "";
}

const char *attr_of(const tinyxml2::XMLElement *e, const char *name) {
    const char *a = e ? e->Attribute(name) : nullptr;
    return a ? a : "";
}

bool tiny_extract(tinyxml2::XMLDocument &doc, const std::string &bytes, Payload p, Extracted &out) {
    if (doc.Parse(bytes.data(), bytes.size()) != tinyxml2::XML_SUCCESS) return false;
    const tinyxml2::XMLElement *msg = doc.FirstChildElement("GctiMsg");
    if (!msg) return false;
    out.call_id = text_of(msg->FirstChildElement("CallId"));
    if (p == Payload::CallStatus) {
        out.event = attr_of(msg->FirstChildElement("CallStatus"), "Event");
    } else {
        const tinyxml2::XMLElement *nc = msg->FirstChildElement("NewCall");
        if (!nc) return false;
        out.called_num = text_of(nc->FirstChildElement("CalledNum"));
        const tinyxml2::XMLElement *ud = nc->FirstChildElement("UDataEx");
        for (const tinyxml2::XMLElement *n = ud ? ud->FirstChildElement("Node") : nullptr; n;
             n = n->NextSiblingElement("Node"))
            out.udata.emplace_back(attr_of(n, "Name"), attr_of(n, "Val"));
    }
    return true;
}

// ---- expat (SAX) -----------------------------------------------------------

struct ExpatState {
    Extracted *out;
    int depth = 0;
    // Which element's text is being collected: 0 none, 1 CallId, 2 CalledNum.
    int collecting = 0;
    bool in_udata = false;
};

const char *find_attr(const XML_Char **atts, const char *name) {
    for (int i = 0; atts[i]; i += 2)
        if (std::strcmp(atts[i], name) == 0) return atts[i + 1];
    return "";
}

void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **atts) {
    ExpatState *s = static_cast<ExpatState *>(ud);
    s->depth++;
    if (s->depth == 2 && std::strcmp(name, "CallId") == 0) {
        s->collecting = 1;
    } else if (s->depth == 2 && std::strcmp(name, "CallStatus") == 0) {
        s->out->event = find_attr(atts, "Event");
    } else if (s->depth == 3 && std::strcmp(name, "CalledNum") == 0) {
        s->collecting = 2;
    } else if (s->depth == 3 && std::strcmp(name, "UDataEx") == 0) {
        s->in_udata = true;
    } else if (s->in_udata && s->depth == 4 && std::strcmp(name, "Node") == 0) {
        s->out->udata.emplace_back(find_attr(atts, "Name"), find_attr(atts, "Val"));
    }
}

void XMLCALL on_end(void *ud, const XML_Char *name) {
    ExpatState *s = static_cast<ExpatState *>(ud);
    if (s->depth == 3 && std::strcmp(name, "UDataEx") == 0) s->in_udata = false;
    s->collecting = 0;
    s->depth--;
}

void XMLCALL on_text(void *ud, const XML_Char *text, int len) {
    ExpatState *s = static_cast<ExpatState *>(ud);
    if (s->collecting == 1) s->out->call_id.append(text, len);
    else if (s->collecting == 2) s->out->called_num.append(text, len);
}

bool expat_extract(XML_Parser parser, const std::string &bytes, Extracted &out) {
    // Reset keeps the parser's memory: the cheapest way expat offers to parse
    // one document after another.
    XML_ParserReset(parser, nullptr);
    ExpatState s{&out};
    XML_SetUserData(parser, &s);
    XML_SetElementHandler(parser, on_start, on_end);
    XML_SetCharacterDataHandler(parser, on_text);
    return XML_Parse(parser, bytes.data(), static_cast<int>(bytes.size()), 1) == XML_STATUS_OK;
}

// ---- timing ----------------------------------------------------------------

using Clock = std::chrono::steady_clock;

template <typename F>
double median_ns(F &&op, int samples, long long sample_ns) {
    long long iters = 1;
    double per_op;
    for (;;) {
        auto t = Clock::now();
        for (long long i = 0; i < iters; i++) op();
        long long ns = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t).count();
        if (ns >= sample_ns / 4 || iters >= (1LL << 30)) {
            per_op = double(ns) / double(iters);
            break;
        }
        iters *= 2;
    }
    iters = std::max<long long>(1, (long long)(double(sample_ns) / std::max(per_op, 1.0)));
    std::vector<double> v;
    for (int s = 0; s < samples; s++) {
        auto t = Clock::now();
        for (long long i = 0; i < iters; i++) op();
        long long ns = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t).count();
        v.push_back(double(ns) / double(iters));
    }
    std::sort(v.begin(), v.end());
    size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

void print_fields(const char *peer, const char *payload, const Extracted &e, Payload p) {
    std::printf("FIELDS %s %s CallId=%s", peer, payload, e.call_id.c_str());
    if (p == Payload::CallStatus) {
        std::printf("\tEvent=%s", e.event.c_str());
    } else {
        std::printf("\tCalledNum=%s", e.called_num.c_str());
        for (const auto &kv : e.udata) std::printf("\t%s=%s", kv.first.c_str(), kv.second.c_str());
    }
    std::printf("\n");
}

volatile size_t sink;

std::string read_file(const char *path) {
    std::ifstream f(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

}  // namespace

int main(int argc, char **argv) {
    if (argc != 5) {
        std::fprintf(stderr, "usage: peers SAMPLES SAMPLE_NS CALLSTATUS_FILE NEWCALL_FILE\n");
        return 2;
    }
    int samples = std::atoi(argv[1]);
    long long sample_ns = std::atoll(argv[2]);
    struct {
        const char *name;
        Payload kind;
        std::string bytes;
    } payloads[] = {
        {"call_status", Payload::CallStatus, read_file(argv[3])},
        {"new_call_10_udata", Payload::NewCall, read_file(argv[4])},
    };
    pugi::xml_document pdoc;
    tinyxml2::XMLDocument tdoc;
    XML_Parser xp = XML_ParserCreate(nullptr);
    Extracted e;
    for (auto &pl : payloads) {
        if (pl.bytes.empty()) {
            std::fprintf(stderr, "peers: empty payload file for %s\n", pl.name);
            return 1;
        }
        // Correctness first: each peer's fields, checked by the suite.
        e.clear();
        if (!pugi_extract(pdoc, pl.bytes, pl.kind, e)) return std::fprintf(stderr, "pugixml failed\n"), 1;
        print_fields("pugixml", pl.name, e, pl.kind);
        e.clear();
        if (!tiny_extract(tdoc, pl.bytes, pl.kind, e)) return std::fprintf(stderr, "tinyxml2 failed\n"), 1;
        print_fields("tinyxml2", pl.name, e, pl.kind);
        e.clear();
        if (!expat_extract(xp, pl.bytes, e)) return std::fprintf(stderr, "expat failed\n"), 1;
        print_fields("expat", pl.name, e, pl.kind);
        std::fflush(stdout);

        // Each iteration extracts into a fresh result, dropped at its end,
        // as each decode of ours builds a fresh Message and drops it.
        double t;
        t = median_ns([&] { Extracted x; pugi_extract(pdoc, pl.bytes, pl.kind, x); sink = x.call_id.size() + x.udata.size(); }, samples, sample_ns);
        std::printf("MEDIAN pugixml %s %.1f\n", pl.name, t);
        t = median_ns([&] { Extracted x; tiny_extract(tdoc, pl.bytes, pl.kind, x); sink = x.call_id.size() + x.udata.size(); }, samples, sample_ns);
        std::printf("MEDIAN tinyxml2 %s %.1f\n", pl.name, t);
        t = median_ns([&] { Extracted x; expat_extract(xp, pl.bytes, x); sink = x.call_id.size() + x.udata.size(); }, samples, sample_ns);
        std::printf("MEDIAN expat %s %.1f\n", pl.name, t);
        std::fflush(stdout);
    }
    XML_ParserFree(xp);
    return 0;
}

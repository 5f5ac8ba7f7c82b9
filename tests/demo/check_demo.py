#!/usr/bin/env python3
"""check_demo.py -- checks what `make demo` produced (run by `make test`
through the `demo-check` rule of examples-c/examples.mk).

    check_demo.py DIR DEMO_MD C5_SVG            check
    check_demo.py --update DIR DEMO_MD C5_SVG   rewrite DEMO_MD's run and C5_SVG

DIR is the demo's output directory: demo.txt (what the program printed),
<flow>.jsonl, <flow>.svg and index.html. The check fails, saying why, when:

- a flow is missing or did not end as expected, or the summary line says so;
- a flow's trace shows no message from the server (`S->I`);
- a busy consult (C5, C5r, T3, T3r) does not show `Busy` and then the
  engine's own `RetrieveCall`, marked "(sent by the engine)";
- a `RetrieveCall` goes out after a `CallError` (in any flow), or C6 / T4
  show no `CallError`;
- a flow's SVG is missing, is not well-formed XML, or draws a different
  number of entries than its trace has lines; index.html is missing or does
  not show every flow;
- docs/DEMO.md's copy of a run differs from this run, or docs/c5.svg draws
  a different sequence than this run's C5.svg (see `normalised` for what may
  differ between runs).

Standard library only.
"""

import difflib
import html.parser
import re
import shutil
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

# Every flow the demo must run: the conference flows C1-C6, the transfer
# flows T1-T4, their variants and the two consult endings X1, X2.
FLOWS = [
    "C1", "C2", "C3", "C4a", "C4b", "C5", "C5r", "C6", "C6c",
    "T1", "T1f", "T2", "T2a", "T3", "T3r", "T4", "T4c", "X1", "X2",
]
BUSY_FLOWS = ["C5", "C5r", "T3", "T3r"]
CALL_ERROR_FLOWS = ["C5r", "C6", "C6c", "T1f", "T3r", "T4", "T4c"]

SVG_NS = "{http://www.w3.org/2000/svg}"
# The markers around the run in docs/DEMO.md.
BEGIN = "<!-- demo output: begin (make demo-doc rewrites it) -->"
END = "<!-- demo output: end -->"
TIME = re.compile(r"\+\d+\.\d+")


def normalised(lines):
    """A run's lines with what differs from run to run taken out: the times
    (`+12.345` becomes `+T`), and the timer lines. The engine moves a call's
    timer only when its deadline moves by a whole millisecond, so whether a
    `timer cancelled` / `timer armed` pair shows up depends on the clock."""
    out = []
    for line in lines:
        line = TIME.sub("+T", line.rstrip())
        if re.match(r"^\s+\+T timer ", line):
            continue
        out.append(line)
    return out


class Flow:
    def __init__(self, name, header):
        self.name = name
        self.header = header
        self.trace = []  # the TEXT trace lines, without the indent
        self.status = None


def parse_output(text):
    """The demo's output as flows, and its summary line."""
    flows, summary, flow = {}, None, None
    for line in text.splitlines():
        m = re.match(r"^== (\S+) ", line)
        if m:
            flow = flows[m.group(1)] = Flow(m.group(1), line)
        elif flow and line.startswith("    +"):
            flow.trace.append(line[4:])
        elif flow and re.match(r"^  (ok|UNEXPECTED): ", line):
            flow.status = line.strip()
        elif re.match(r"^\d+ of \d+ flows ended", line):
            summary = line
    return flows, summary


def who(line):
    """The `<who>` column of a TEXT trace line: `app`, `I->S`, `S->I`, ..."""
    parts = line.split(" ", 2)
    return parts[1] if len(parts) > 1 else ""


def message(line):
    parts = line.split(" ", 3)
    return parts[2] if len(parts) > 2 else ""


def check_flows(flows, summary, problems):
    for name in FLOWS:
        if name not in flows:
            problems.append(f"flow {name} is missing from the demo's output")
    extra = sorted(set(flows) - set(FLOWS))
    if extra:
        problems.append(f"flows this check does not know: {extra} (add them to FLOWS)")
    n = len(FLOWS)
    if summary != f"{n} of {n} flows ended as expected: demo ok":
        problems.append(f"summary line: {summary!r}, want '{n} of {n} flows ended as expected: demo ok'")

    for name, flow in flows.items():
        if not (flow.status or "").startswith(f"ok: {name} "):
            problems.append(f"{name}: status line {flow.status!r}, want 'ok: {name} ...'")
        if not any(who(line) == "S->I" for line in flow.trace):
            problems.append(f"{name}: no S->I line in its trace")
        # The engine never sends a RetrieveCall after a CallError.
        error_at = next((i for i, line in enumerate(flow.trace)
                         if who(line) == "S->I" and message(line) == "CallError"), None)
        if error_at is not None:
            late = [line for line in flow.trace[error_at:]
                    if who(line) == "I->S" and message(line) == "RetrieveCall"]
            if late:
                problems.append(f"{name}: RetrieveCall after the CallError: {late[0]}")

    for name in BUSY_FLOWS:
        trace = flows[name].trace if name in flows else []
        busy = next((i for i, line in enumerate(trace)
                     if who(line) == "S->I" and message(line) == "CallStatus"
                     and line.endswith(" Event=Busy")), None)
        if busy is None:
            problems.append(f"{name}: no 'S->I CallStatus ... Event=Busy' line")
            continue
        retrieve = [line for line in trace[busy:]
                    if who(line) == "I->S" and message(line) == "RetrieveCall"]
        if not retrieve or not retrieve[0].endswith("(sent by the engine)"):
            problems.append(f"{name}: after Busy, no 'I->S RetrieveCall ... (sent by the engine)'"
                            f" (found {retrieve[:1]})")

    for name in CALL_ERROR_FLOWS:
        trace = flows[name].trace if name in flows else []
        if not any(who(line) == "S->I" and message(line) == "CallError" for line in trace):
            problems.append(f"{name}: no 'S->I CallError' line")


def svg_entries(path, problems):
    """The `data-dir` of each entry the SVG draws, or None when unreadable."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as e:
        problems.append(f"{path}: not well-formed XML ({e})")
        return None
    if root.tag != SVG_NS + "svg":
        problems.append(f"{path}: root element {root.tag}, want an SVG <svg>")
        return None
    return [g.get("data-dir") for g in root.iter(SVG_NS + "g") if g.get("data-entry") is not None]


class Images(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.images, self.ids = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(attrs.get("src"))
        if "id" in attrs:
            self.ids.append(attrs["id"])


def check_files(out_dir, flows, problems):
    for name, flow in flows.items():
        jsonl = out_dir / f"{name}.jsonl"
        if not jsonl.is_file():
            problems.append(f"{jsonl} is missing")
        svg = out_dir / f"{name}.svg"
        if not svg.is_file():
            problems.append(f"{svg} is missing")
            continue
        entries = svg_entries(svg, problems)
        if entries is not None and len(entries) != len(flow.trace):
            problems.append(f"{svg}: {len(entries)} entries drawn, its trace has {len(flow.trace)} lines")

    index = out_dir / "index.html"
    if not index.is_file():
        problems.append(f"{index} is missing")
        return
    page = Images()
    page.feed(index.read_text(encoding="utf-8"))
    for name in flows:
        if f"{name}.svg" not in page.images or name not in page.ids:
            problems.append(f"{index}: flow {name} is not shown (no section with its <img src=\"{name}.svg\">)")


def doc_run(doc_text):
    """The run copied into DEMO.md: the lines of the fenced block between
    the markers."""
    try:
        inside = doc_text.split(BEGIN, 1)[1].split(END, 1)[0]
    except IndexError:
        return None
    lines = inside.strip("\n").splitlines()
    if len(lines) < 2 or not lines[0].startswith("```") or lines[-1] != "```":
        return None
    return lines[1:-1]


def check_doc(output, doc_path, problems):
    run = doc_run(doc_path.read_text(encoding="utf-8"))
    if run is None:
        problems.append(f"{doc_path}: no fenced block between '{BEGIN}' and '{END}'")
        return
    want, have = normalised(output.splitlines()), normalised(run)
    if want != have:
        diff = "\n".join(difflib.unified_diff(have, want, str(doc_path), "this run", lineterm=""))
        problems.append(f"{doc_path} differs from this run (times and timer lines aside):\n{diff}\n"
                        "run 'make demo-doc' and commit docs/DEMO.md and docs/c5.svg")


def check_c5_picture(out_dir, c5_svg, problems):
    fresh = svg_entries(out_dir / "C5.svg", problems)
    kept = svg_entries(c5_svg, problems)
    if fresh is None or kept is None:
        return
    fresh = [d for d in fresh if d != "timer"]
    kept = [d for d in kept if d != "timer"]
    if fresh != kept:
        problems.append(f"{c5_svg} draws {kept}, this run's C5.svg {fresh} (timers aside): "
                        "run 'make demo-doc' and commit docs/c5.svg")


def update(out_dir, output, doc_path, c5_svg):
    doc = doc_path.read_text(encoding="utf-8")
    if doc_run(doc) is None:
        sys.exit(f"{doc_path}: no fenced block between '{BEGIN}' and '{END}'")
    head, rest = doc.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    block = "\n```\n" + output.rstrip("\n") + "\n```\n"
    doc_path.write_text(head + BEGIN + block + END + tail, encoding="utf-8")
    shutil.copyfile(out_dir / "C5.svg", c5_svg)
    print(f"rewrote the run in {doc_path} and copied {out_dir / 'C5.svg'} to {c5_svg}")


def main(argv):
    updating = argv[:1] == ["--update"]
    args = argv[1:] if updating else argv
    if len(args) != 3:
        sys.exit(__doc__)
    out_dir, doc_path, c5_svg = Path(args[0]), Path(args[1]), Path(args[2])
    output = (out_dir / "demo.txt").read_text(encoding="utf-8")
    flows, summary = parse_output(output)
    problems = []
    check_flows(flows, summary, problems)
    check_files(out_dir, flows, problems)
    if updating:
        if problems:
            sys.exit("not updating the docs from a run that fails its checks:\n" + "\n".join(problems))
        update(out_dir, output, doc_path, c5_svg)
        return 0
    check_doc(output, doc_path, problems)
    check_c5_picture(out_dir, c5_svg, problems)
    if problems:
        print(f"demo check: {len(problems)} problem(s)")
        for p in problems:
            print("  - " + p)
        return 1
    print(f"  ok   demo: {len(flows)} flows as expected; their traces, SVGs and index.html "
          f"in {out_dir}; {doc_path} and {c5_svg} in step")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""Checks that the repository's documentation stands alone.

A user who clones the repository has README.md, docs/*.md, python/README.md
and include/ivrconf.h, and nothing else. This check fails when one of them

- links (relative Markdown link) to a file that does not exist, or to an
  `#anchor` that no heading (or `<a id>`) of the target file produces;
- refers to the developers' private specifications (C-API.md, FLOWS.md, a
  PROTOCOL.md that is not a link to docs/PROTOCOL.md, a numbered section
  such as "PROTOCOL 4.4", a path into ../shared or spec/, or "the spec");
- uses one of the short labels R1-R4, M1-M6, C1-C6 or T1-T4 without
  defining it, where a doc defines a label with a heading that starts with
  it, a table row whose first cell is it, or a list item that starts with
  it in bold, and a doc that links to a defining doc may use it freely;
- (README.md only) leaves a docs/*.md page out of its links;
- (docs/API.md only) leaves out a function include/ivrconf.h declares.

The header gets only the specification and label checks (it is C; a
`docs/NAME.md` path in it counts as a link). Labels and links are looked
for outside code (fenced blocks and `inline code`); specification
references everywhere.

Findings in files (or lines) on the PENDING list are printed but do not
fail the run; a PENDING entry that matches nothing fails it, so the list
cannot go stale. Standard library only. Usage: check_docs.py [ROOT].
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

# Files being fixed on other branches while this check was introduced.
# Their findings are reported, not failed; each entry names the file and,
# optionally, a text the finding's line must contain. Remove an entry once
# its file is fixed (the run fails when an entry matches no finding).
PENDING: list[tuple[str, str | None, str]] = []

LABEL_RANGES = {"R": 4, "M": 6, "C": 6, "T": 4}
LABEL_LETTERS = "".join(LABEL_RANGES)


@dataclass(frozen=True)
class Finding:
    path: str  # relative to the root, with '/'
    line: int  # 1-based; 0 = the file as a whole
    kind: str  # link, anchor, spec, label, index, coverage
    message: str
    text: str = ""  # the line, for PENDING matching and the report

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: [{self.kind}] {self.message}"


# ---- Markdown reading ---------------------------------------------------

FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
INLINE_CODE = re.compile(r"(`+)(.+?)\1")
LINK = re.compile(r"!?\[((?:[^\[\]]|\[[^\]]*\])*)\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
REF_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$")
HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
HTML_ANCHOR = re.compile(r"<a\s+(?:id|name)=\"([^\"]+)\"", re.IGNORECASE)
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def prose_lines(text: str) -> list[tuple[int, str, bool]]:
    """(line number, line, inside a fenced code block) for every line."""
    out = []
    fence: str | None = None
    for n, line in enumerate(text.splitlines(), 1):
        m = FENCE.match(line)
        if fence is None and m:
            fence = m.group(1)[0] * 3
            out.append((n, line, True))
        elif fence is not None:
            out.append((n, line, True))
            if line.strip().startswith(fence):
                fence = None
        else:
            out.append((n, line, False))
    return out


def without_code(line: str) -> str:
    """The line with `inline code` blanked (same length)."""
    return INLINE_CODE.sub(lambda m: " " * len(m.group(0)), line)


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    text = re.sub(r"<[^>]+>", "", text).replace("`", "")
    text = re.sub(r"[^\w\- ]", "", text.strip().lower())
    return text.replace(" ", "-")


def anchors(text: str) -> set[str]:
    """Every anchor a Markdown file offers: headings (numbered like GitHub
    when repeated) and explicit `<a id>` / `<a name>`."""
    seen: dict[str, int] = {}
    found: set[str] = set()
    for _, line, code in prose_lines(text):
        if code:
            continue
        for a in HTML_ANCHOR.findall(line):
            found.add(a)
        m = HEADING.match(line)
        if not m:
            continue
        base = slug(m.group(2))
        n = seen.get(base, 0)
        seen[base] = n + 1
        found.add(base if n == 0 else f"{base}-{n}")
    return found


def links(line: str) -> list[tuple[int, int, str, str]]:
    """(start, end, text, target) of each inline link on a code-free line,
    and of a reference definition."""
    out = [(m.start(), m.end(), m.group(1), m.group(2)) for m in LINK.finditer(line)]
    m = REF_DEF.match(line)
    if m:
        out.append((m.start(1), m.end(1), "", m.group(1)))
    return out


# ---- the checks ---------------------------------------------------------


def resolve(root: Path, source: Path, target: str) -> tuple[Path | None, str]:
    """The file a relative link points to (None for external or pure
    anchor links) and its anchor ('' for none)."""
    if SCHEME.match(target):
        return None, ""
    path, _, anchor = target.partition("#")
    if not path:
        return source, anchor
    return (source.parent / path).resolve(), anchor


def check_links(root: Path, path: Path, text: str, anchor_cache: dict[Path, set[str]]) -> list[Finding]:
    rel = rel_name(root, path)
    found = []
    for n, line, code in prose_lines(text):
        if code:
            continue
        for _, _, _, target in links(without_code(line)):
            if not target:
                found.append(Finding(rel, n, "link", "empty link target", line))
                continue
            dest, anchor = resolve(root, path, target)
            if dest is None:
                continue
            if root.resolve() not in dest.parents and dest != root.resolve():
                found.append(Finding(rel, n, "link", f"{target}: points outside the repository", line))
                continue
            if not dest.exists():
                found.append(Finding(rel, n, "link", f"{target}: no such file", line))
                continue
            if not anchor:
                continue
            if dest.suffix != ".md" or dest.is_dir():
                found.append(Finding(rel, n, "anchor", f"{target}: an anchor into a file that is not Markdown", line))
                continue
            if dest not in anchor_cache:
                anchor_cache[dest] = anchors(dest.read_text(encoding="utf-8"))
            if anchor not in anchor_cache[dest]:
                found.append(Finding(rel, n, "anchor", f"{target}: {rel_name(root, dest)} has no heading with anchor #{anchor}", line))
    return found


# Looked for on every line, code included: file names and paths.
SPEC_PATTERNS = [
    (re.compile(r"C-API\.md"), "names the private spec C-API.md; link to docs/API.md instead"),
    (re.compile(r"FLOWS\.md"), "names the private spec FLOWS.md; link to docs/CALL-MODEL.md instead"),
    (re.compile(r"\bPROTOCOL(?:\.md)?,?\s+(?:§\s*)?\d+(?:\.\d+)*\b"), "a numbered section of the private protocol spec"),
    (re.compile(r"\.\./shared\b|\bshared/spec\b|/work/shared\b|(?<![\w-])spec/"), "a path into the private spec directory"),
]
# Looked for in prose only (a Rust `Spec::lookup` in code is no reference).
SPEC_WORDS = re.compile(r"\b(?:[Ss]pecs?|[Ss]pecification)\b")
PROTOCOL_MD = re.compile(r"PROTOCOL\.md")


def check_spec_refs(root: Path, path: Path, text: str, markdown: bool) -> list[Finding]:
    """Spec references: names and paths on every line, code included; the
    word "spec" in prose."""
    rel = rel_name(root, path)
    ours = (root / "docs" / "PROTOCOL.md").resolve()
    found = []
    if markdown:
        prose = {n: without_code(line) for n, line, code in prose_lines(text) if not code}
    else:
        prose = dict(enumerate(text.splitlines(), 1))
    for n, line in enumerate(text.splitlines(), 1):
        for pattern, why in SPEC_PATTERNS:
            for m in pattern.finditer(line):
                found.append(Finding(rel, n, "spec", f"'{m.group(0)}': {why}", line))
        for m in SPEC_WORDS.finditer(prose.get(n, "")):
            found.append(Finding(rel, n, "spec", f"'{m.group(0)}': refers to a specification users do not have", line))
        # PROTOCOL.md is our own page when it is a link to docs/PROTOCOL.md
        # (its text or target) or written as the path docs/PROTOCOL.md.
        masked = line
        if markdown:
            for start, end, _, target in links(line):
                dest, _ = resolve(root, path, target)
                if dest == ours:
                    masked = masked[:start] + " " * (end - start) + masked[end:]
        masked = masked.replace("docs/PROTOCOL.md", " " * len("docs/PROTOCOL.md"))
        if PROTOCOL_MD.search(masked):
            found.append(Finding(rel, n, "spec", "'PROTOCOL.md' that is not a link to docs/PROTOCOL.md: the private spec?", line))
    return found


LABEL_RANGE = re.compile(rf"(?<![\w./#='\"-])([{LABEL_LETTERS}])([1-9])\s*[-–]\s*\1?([1-9])(?![\w])")
LABEL_ONE = re.compile(rf"(?<![\w./#='\"-])([{LABEL_LETTERS}])([1-9])[a-z]?(?![\w])")
DEF_HEADING = re.compile(rf"^\s{{0,3}}#{{1,6}}\s+(?:\*\*)?([{LABEL_LETTERS}][1-9])[a-z]?\b")
DEF_TABLE = re.compile(rf"^\s*\|\s*(?:\*\*)?([{LABEL_LETTERS}][1-9])[a-z]?(?:\*\*)?\s*\|")
DEF_ITEM = re.compile(rf"^\s*(?:[-*+]|\d+\.)\s+\*\*([{LABEL_LETTERS}][1-9])[a-z]?\b")


def valid(letter: str, digit: int) -> bool:
    return 1 <= digit <= LABEL_RANGES[letter]


def label_uses(line: str) -> list[str]:
    """Labels mentioned on a code-free line; a range such as R1-R4 names
    every label in it."""
    used = []

    def expand(m: re.Match[str]) -> str:
        letter, a, b = m.group(1), int(m.group(2)), int(m.group(3))
        if valid(letter, a) and valid(letter, b) and a < b:
            used.extend(f"{letter}{d}" for d in range(a, b + 1))
            return " " * len(m.group(0))
        return m.group(0)

    rest = LABEL_RANGE.sub(expand, line)
    for m in LABEL_ONE.finditer(rest):
        if valid(m.group(1), int(m.group(2))):
            used.append(f"{m.group(1)}{m.group(2)}")
    return used


def label_defs(text: str) -> set[str]:
    defs = set()
    for _, line, code in prose_lines(text):
        if code:
            continue
        for pattern in (DEF_HEADING, DEF_TABLE, DEF_ITEM):
            m = pattern.match(without_code(line))
            if m:
                defs.add(m.group(1))
    return defs


def rel_name(root: Path, path: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


@dataclass
class Doc:
    path: Path
    text: str
    markdown: bool


def label_lines(doc: Doc) -> list[tuple[int, str, str]]:
    """(line number, original line, text to scan for labels)."""
    if not doc.markdown:
        return [(n, line, line) for n, line in enumerate(doc.text.splitlines(), 1)]
    out = []
    for n, line, code in prose_lines(doc.text):
        if code:
            continue
        scan = without_code(line)
        for start, end, text, _ in links(scan):
            # the link's text counts, its target does not
            scan = scan[:start] + " " * (end - start) + scan[end:]
            scan = scan[:start] + text + scan[start + len(text):]
        out.append((n, line, scan))
    return out


def linked_files(root: Path, doc: Doc) -> set[Path]:
    targets = set()
    if doc.markdown:
        for _, line, code in prose_lines(doc.text):
            if code:
                continue
            for _, _, _, target in links(without_code(line)):
                dest, _ = resolve(root, doc.path, target)
                if dest is not None:
                    targets.add(dest)
    else:
        for m in re.finditer(r"\b(?:docs/[\w.-]+\.md|README\.md)", doc.text):
            targets.add((root / m.group(0)).resolve())
    return targets


def check_labels(root: Path, docs: list[Doc]) -> list[Finding]:
    defs = {d.path.resolve(): label_defs(d.text) if d.markdown else set() for d in docs}
    found = []
    for doc in docs:
        reachable = set(defs[doc.path.resolve()])
        for target in linked_files(root, doc):
            reachable |= defs.get(target, set())
        reported = set()
        for n, line, scan in label_lines(doc):
            for label in label_uses(scan):
                if label in reachable or (n, label) in reported:
                    continue
                reported.add((n, label))
                found.append(
                    Finding(
                        rel_name(root, doc.path),
                        n,
                        "label",
                        f"{label} is used but neither defined here nor in a doc this file links to",
                        line,
                    )
                )
    return found


def check_index(root: Path, readme: Doc) -> list[Finding]:
    """README.md links every page of docs/."""
    linked = linked_files(root, readme)
    return [
        Finding("README.md", 0, "index", f"docs/{page.name} is not linked from README.md (add it to the Documentation list)")
        for page in sorted((root / "docs").glob("*.md"))
        if page.resolve() not in linked
    ]


def check_api_coverage(root: Path) -> list[Finding]:
    """docs/API.md names every function the header declares."""
    header, guide = root / "include" / "ivrconf.h", root / "docs" / "API.md"
    if not header.exists() or not guide.exists():
        return []
    declared = sorted(set(re.findall(r"\b(ivrconf_\w+)\s*\(", header.read_text(encoding="utf-8"))))
    text = guide.read_text(encoding="utf-8")
    return [
        Finding("docs/API.md", 0, "coverage", f"{name} (declared in include/ivrconf.h) is not documented here")
        for name in declared
        if not re.search(rf"\b{name}\b", text)
    ]


def documents(root: Path) -> list[Doc]:
    paths = [root / "README.md", *sorted((root / "docs").glob("*.md")), root / "python" / "README.md"]
    docs = [Doc(p, p.read_text(encoding="utf-8"), True) for p in paths if p.exists()]
    header = root / "include" / "ivrconf.h"
    if header.exists():
        docs.append(Doc(header, header.read_text(encoding="utf-8"), False))
    return docs


def check(root: Path) -> list[Finding]:
    """Every finding for the repository at `root`."""
    docs = documents(root)
    found: list[Finding] = []
    cache: dict[Path, set[str]] = {}
    for doc in docs:
        if doc.markdown:
            found += check_links(root, doc.path, doc.text, cache)
        found += check_spec_refs(root, doc.path, doc.text, doc.markdown)
    found += check_labels(root, docs)
    readme = next((d for d in docs if d.path == root / "README.md"), None)
    if readme is not None:
        found += check_index(root, readme)
    found += check_api_coverage(root)
    return found


def split_pending(
    findings: list[Finding], pending: list[tuple[str, str | None, str]]
) -> tuple[list[Finding], list[tuple[Finding, str]], list[tuple[str, str | None, str]]]:
    """(failures, pending findings with their reason, pending entries that
    matched nothing)."""
    failures, allowed = [], []
    used = set()
    for f in findings:
        for i, (path, needle, why) in enumerate(pending):
            if f.path == path and (needle is None or needle in f.text):
                allowed.append((f, why))
                used.add(i)
                break
        else:
            failures.append(f)
    stale = [entry for i, entry in enumerate(pending) if i not in used]
    return failures, allowed, stale


def main(argv: list[str]) -> int:
    root = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parents[2]
    failures, allowed, stale = split_pending(check(root), PENDING)
    for f, why in allowed:
        print(f"pending ({why}): {f}")
    for path, needle, _ in stale:
        print(f"FAIL: PENDING entry {path}" + (f" ({needle!r})" if needle else "") + " matches nothing: remove it from tests/docs/check_docs.py")
    for f in failures:
        print(f"FAIL: {f}")
    if failures or stale:
        print(f"docs check: {len(failures)} finding(s), {len(stale)} stale PENDING entr(y/ies)")
        return 1
    print(f"docs check: ok ({len(documents(root))} files; {len(allowed)} pending finding(s) reported above)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

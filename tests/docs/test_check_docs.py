"""Tests of check_docs.py: each check fails on the fault it names and stays
quiet on the correct form, on small repositories built in a temp dir."""

from __future__ import annotations

import contextlib
import io
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import check_docs  # noqa: E402

CALL_MODEL = """# Call model

## Recovery rules

| label | rule |
|---|---|
| R1 | one |
| R2 | two |
| R3 | three |

### C1 One-step conference

## Options

## Options

### client_name
"""

README = """# demo

- [docs/CALL-MODEL.md](docs/CALL-MODEL.md)
- [docs/OTHER.md](docs/OTHER.md)
"""


class Repo:
    """A throw-away repository: README.md, docs/CALL-MODEL.md (defines R1-R3
    and C1), docs/OTHER.md (the page under test) and optional extras."""

    def __init__(self, other: str, **extra: str) -> None:
        self._dir = tempfile.TemporaryDirectory()
        self.root = Path(self._dir.name)
        files = {"README.md": README, "docs/CALL-MODEL.md": CALL_MODEL, "docs/OTHER.md": other, **extra}
        for name, text in files.items():
            path = self.root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")

    def findings(self, kind: str | None = None) -> list[check_docs.Finding]:
        found = check_docs.check(self.root)
        return [f for f in found if kind is None or f.kind == kind]

    def close(self) -> None:
        self._dir.cleanup()


class Case(unittest.TestCase):
    def repo(self, other: str, **extra: str) -> Repo:
        r = Repo(other, **extra)
        self.addCleanup(r.close)
        return r


class Links(Case):
    def test_good_links_and_anchors_pass(self) -> None:
        r = self.repo(
            "# Other\n\nSee [rules](CALL-MODEL.md#recovery-rules), "
            "[again](CALL-MODEL.md#options-1), [key](CALL-MODEL.md#client_name), "
            "[top](#other), [readme](../README.md) and [web](https://example.com/x#y).\n"
        )
        self.assertEqual(r.findings(), [])

    def test_missing_file_fails(self) -> None:
        r = self.repo("# Other\n\n[gone](GONE.md)\n")
        [f] = r.findings()
        self.assertEqual((f.path, f.line, f.kind), ("docs/OTHER.md", 3, "link"))

    def test_missing_anchor_fails(self) -> None:
        r = self.repo("# Other\n\n[x](CALL-MODEL.md#no-such-heading) [y](#nope)\n")
        self.assertEqual(len(r.findings("anchor")), 2)

    def test_a_third_repeated_heading_is_not_there(self) -> None:
        r = self.repo("# Other\n\n[x](CALL-MODEL.md#options-2)\n")
        self.assertEqual(len(r.findings("anchor")), 1)

    def test_links_in_code_are_not_links(self) -> None:
        r = self.repo("# Other\n\n`[x](GONE.md)`\n\n```\n[y](GONE.md)\n```\n")
        self.assertEqual(r.findings(), [])

    def test_a_link_out_of_the_repository_fails(self) -> None:
        r = self.repo("# Other\n\n[x](../../outside.md)\n")
        self.assertEqual(len(r.findings("link")), 1)


class SpecReferences(Case):
    def test_each_spec_reference_fails(self) -> None:
        for text in [
            "as C-API.md says",
            "see FLOWS.md",
            "```\nFLOWS.md C5\n```",
            "in ../shared/spec/PROTOCOL.md",
            "PROTOCOL 4.4 says",
            "PROTOCOL.md 1.5 says",
            "a bare PROTOCOL.md",
            "where the specs are silent",
            "the Specification says",
        ]:
            with self.subTest(text=text):
                r = self.repo(f"# Other\n\n{text}\n")
                self.assertTrue(r.findings("spec"), text)

    def test_our_protocol_page_and_code_words_pass(self) -> None:
        r = self.repo(
            "# Other\n\nSee [PROTOCOL.md](PROTOCOL.md) or docs/PROTOCOL.md; `Spec::lookup` is code.\n",
            **{"docs/PROTOCOL.md": "# Protocol\n", "README.md": README + "- [p](docs/PROTOCOL.md)\n"},
        )
        self.assertEqual(r.findings(), [])


class Labels(Case):
    def test_an_undefined_label_fails(self) -> None:
        r = self.repo("# Other\n\nThe engine retrieves (R2).\n")
        [f] = r.findings()
        self.assertEqual((f.kind, f.line), ("label", 3))
        self.assertIn("R2", f.message)

    def test_a_link_to_the_defining_doc_defines_it(self) -> None:
        r = self.repo("# Other\n\nThe engine retrieves ([R2](CALL-MODEL.md#recovery-rules)); C1 too.\n")
        self.assertEqual(r.findings(), [])

    def test_a_definition_line_in_the_doc_defines_it(self) -> None:
        for definition in ["## M2 Refusals", "| M2 | refusals |", "- **M2 refusals**: ..."]:
            with self.subTest(definition=definition):
                r = self.repo(f"# Other\n\n{definition}\n\nAs M2 says.\n")
                self.assertEqual(r.findings(), [])

    def test_a_range_needs_every_label_in_it(self) -> None:
        r = self.repo("# Other\n\nRules R1-R4 ([rules](CALL-MODEL.md)).\n")
        [f] = r.findings()
        self.assertIn("R4", f.message)

    def test_labels_in_code_and_call_ids_pass(self) -> None:
        r = self.repo("# Other\n\n`C5` is a call id; so is CallId=C1 in\n\n```\nM3 T2\n```\n")
        self.assertEqual(r.findings(), [])

    def test_the_header_gets_spec_and_label_checks(self) -> None:
        r = self.repo("# Other\n", **{"include/ivrconf.h": "/* see FLOWS.md, rule M4 */\n"})
        self.assertEqual(sorted(f.kind for f in r.findings()), ["label", "spec"])

    def test_a_docs_path_in_the_header_counts_as_a_link(self) -> None:
        r = self.repo("# Other\n", **{"include/ivrconf.h": "/* rule R1 (docs/CALL-MODEL.md) */\n"})
        self.assertEqual(r.findings(), [])


class Index(Case):
    def test_a_page_missing_from_the_readme_fails(self) -> None:
        r = self.repo("# Other\n", **{"docs/NEW.md": "# New\n"})
        [f] = r.findings()
        self.assertEqual(f.kind, "index")
        self.assertIn("NEW.md", f.message)


class Coverage(Case):
    HEADER = "void ivrconf_engine_free(ivrconf_engine *e);\nint ivrconf_event_kind (const ivrconf_event *ev);\n"

    def test_a_header_function_missing_from_the_api_guide_fails(self) -> None:
        r = self.repo(
            "# Other\n",
            **{
                "include/ivrconf.h": self.HEADER,
                "docs/API.md": "# API\n\n`ivrconf_engine_free` frees.\n",
                "README.md": README + "- [api](docs/API.md)\n",
            },
        )
        [f] = r.findings()
        self.assertEqual((f.kind, f.path), ("coverage", "docs/API.md"))
        self.assertIn("ivrconf_event_kind", f.message)

    def test_a_complete_guide_passes(self) -> None:
        r = self.repo(
            "# Other\n",
            **{
                "include/ivrconf.h": self.HEADER,
                "docs/API.md": "# API\n\n`ivrconf_engine_free`, `ivrconf_event_kind`.\n",
                "README.md": README + "- [api](docs/API.md)\n",
            },
        )
        self.assertEqual(r.findings(), [])


class Pending(Case):
    def test_pending_findings_are_allowed_and_stale_entries_reported(self) -> None:
        r = self.repo("# Other\n\nsee FLOWS.md\n", **{"include/ivrconf.h": "/* FLOWS.md */\n"})
        pending = [
            ("include/ivrconf.h", None, "later"),
            ("docs/OTHER.md", "no such text", "later"),
        ]
        failures, allowed, stale = check_docs.split_pending(r.findings(), pending)
        self.assertEqual([f.path for f in failures], ["docs/OTHER.md"])
        self.assertEqual([f.path for f, _ in allowed], ["include/ivrconf.h"])
        self.assertEqual(stale, [("docs/OTHER.md", "no such text", "later")])

    def test_main_fails_on_a_finding_and_passes_a_clean_tree(self) -> None:
        bad = self.repo("# Other\n\n[gone](GONE.md)\n")
        good = self.repo("# Other\n")
        saved = check_docs.PENDING
        check_docs.PENDING = []
        out = io.StringIO()
        try:
            with contextlib.redirect_stdout(out):
                self.assertEqual(check_docs.main(["x", str(bad.root)]), 1)
                self.assertEqual(check_docs.main(["x", str(good.root)]), 0)
        finally:
            check_docs.PENDING = saved
        self.assertIn("FAIL: docs/OTHER.md:3: [link] GONE.md: no such file", out.getvalue())


if __name__ == "__main__":
    unittest.main()

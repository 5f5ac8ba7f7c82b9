"""The package as pip installs it: which copy the tests import, where it
finds libivrconf (its own copy, no environment variable), the IVRCONF_LIB
override, and the wheel the in-tree build backend writes."""

import base64
import csv
import hashlib
import importlib.metadata
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest
import zipfile
from pathlib import Path

from _support import IMPORT_PATH, INSTALLED, PYTHON_DIR, REPO, WAIT_S, ivrconf

from ivrconf import _ffi

PACKAGE_DIR = Path(ivrconf.__file__).resolve().parent

#: Prints where a fresh interpreter's ivrconf comes from and what it loaded.
PROBE = textwrap.dedent("""
    import json, sys
    sys.path[:0] = sys.argv[1:]
    try:
        import ivrconf
        print(json.dumps({"file": ivrconf.__file__, "lib": ivrconf.library_path(),
                          "version": ivrconf.version()}))
    except OSError as exc:
        print(json.dumps({"error": str(exc)}))
""")


def probe(env_changes):
    """Runs :data:`PROBE` in a child interpreter started in an empty
    directory, with ``env_changes`` applied (``None`` removes a variable)."""
    env = dict(os.environ)
    for key, value in env_changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    with tempfile.TemporaryDirectory() as cwd:
        proc = subprocess.run(
            [sys.executable, "-c", PROBE, *IMPORT_PATH],
            cwd=cwd, env=env, capture_output=True, text=True, timeout=WAIT_S * 3,
        )
    if proc.returncode != 0:
        raise AssertionError(f"probe failed ({proc.returncode}):\n{proc.stderr}")
    return json.loads(proc.stdout)


def is_under(path, directory):
    try:
        Path(path).resolve().relative_to(Path(directory).resolve())
    except ValueError:
        return False
    return True


class ImportedCopy(unittest.TestCase):
    def test_the_tests_import_the_copy_they_mean_to(self):
        if INSTALLED:
            # The venv's site-packages, never the source tree.
            self.assertNotEqual(sys.prefix, sys.base_prefix, "not running in a venv")
            self.assertTrue(is_under(ivrconf.__file__, sys.prefix), ivrconf.__file__)
            self.assertFalse(is_under(ivrconf.__file__, PYTHON_DIR), ivrconf.__file__)
            self.assertEqual(importlib.metadata.version("ivrconf"), ivrconf.version())
        else:
            self.assertEqual(PACKAGE_DIR, PYTHON_DIR / "ivrconf")

    def test_py_typed_marker_ships(self):
        self.assertTrue((PACKAGE_DIR / "py.typed").is_file())


class LibrarySearch(unittest.TestCase):
    def test_found_without_environment_variable(self):
        seen = probe({"IVRCONF_LIB": None})
        self.assertEqual(Path(seen["file"]).resolve().parent, PACKAGE_DIR)
        if INSTALLED:
            expected = PACKAGE_DIR / _ffi.shared_name()
        else:
            expected = REPO / "target" / "release" / _ffi.shared_name()
        self.assertEqual(Path(seen["lib"]).resolve(), expected.resolve())
        self.assertEqual(seen["version"], ivrconf.version())

    def test_ivrconf_lib_overrides_and_must_load(self):
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / "libivrconf-copy.so"
            shutil.copyfile(ivrconf.library_path(), copy)
            seen = probe({"IVRCONF_LIB": str(copy)})
            self.assertEqual(seen["lib"], str(copy))
            missing = Path(tmp) / "no-such-lib.so"
            seen = probe({"IVRCONF_LIB": str(missing)})
            self.assertIn("IVRCONF_LIB", seen["error"])
            self.assertIn(str(missing), seen["error"])


class BuildBackend(unittest.TestCase):
    """The in-tree backend (python/build_backend) writes a correct wheel."""

    @classmethod
    def setUpClass(cls):
        sys.path.insert(0, str(PYTHON_DIR / "build_backend"))
        try:
            import ivrconf_build
        finally:
            sys.path.remove(str(PYTHON_DIR / "build_backend"))
        cls.backend = ivrconf_build
        cls.tmp = tempfile.TemporaryDirectory()
        # cargo's output goes to our stderr; the library is built already.
        cls.name = ivrconf_build.build_wheel(cls.tmp.name)
        cls.wheel = zipfile.ZipFile(Path(cls.tmp.name) / cls.name)

    @classmethod
    def tearDownClass(cls):
        cls.wheel.close()
        cls.tmp.cleanup()

    def test_name_and_tags(self):
        version = ivrconf.version()
        self.assertTrue(self.name.startswith(f"ivrconf-{version}-py3-none-"), self.name)
        wheel_meta = self.wheel.read(f"ivrconf-{version}.dist-info/WHEEL").decode()
        tag = self.name[len(f"ivrconf-{version}-"):-len(".whl")]
        self.assertIn(f"Tag: {tag}\n", wheel_meta)
        self.assertIn("Root-Is-Purelib: false\n", wheel_meta)
        metadata = self.wheel.read(f"ivrconf-{version}.dist-info/METADATA").decode()
        self.assertIn("Name: ivrconf\n", metadata)
        self.assertIn(f"Version: {version}\n", metadata)

    def test_contents_are_the_package_and_the_library(self):
        names = set(self.wheel.namelist())
        sources = {f"ivrconf/{p.name}" for p in (PYTHON_DIR / "ivrconf").glob("*.py")}
        self.assertGreater(len(sources), 5)
        self.assertLessEqual(sources, names)
        self.assertIn("ivrconf/py.typed", names)
        self.assertIn(f"ivrconf/{_ffi.shared_name()}", names)
        self.assertFalse([n for n in names if "__pycache__" in n or n.startswith("tests/")])
        library = self.wheel.read(f"ivrconf/{_ffi.shared_name()}")
        self.assertEqual(library, (REPO / "target" / "release" / _ffi.shared_name()).read_bytes())

    def test_record_lists_every_file_with_its_hash(self):
        version = ivrconf.version()
        record_name = f"ivrconf-{version}.dist-info/RECORD"
        rows = list(csv.reader(io.StringIO(self.wheel.read(record_name).decode())))
        listed = {row[0] for row in rows}
        self.assertEqual(listed, set(self.wheel.namelist()))
        for name, digest, size in rows:
            if name == record_name:
                self.assertEqual((digest, size), ("", ""))
                continue
            data = self.wheel.read(name)
            expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            self.assertEqual(digest, f"sha256={expected}", name)
            self.assertEqual(int(size), len(data), name)

    def test_no_sdist_and_no_build_requirements(self):
        self.assertEqual(self.backend.get_requires_for_build_wheel(), [])
        with tempfile.TemporaryDirectory() as tmp:
            with self.assertRaises(self.backend.BuildError) as cm:
                self.backend.build_sdist(tmp)
            self.assertIn("checkout", str(cm.exception))
            self.assertEqual(os.listdir(tmp), [])


if __name__ == "__main__":
    unittest.main()

"""The PEP 517 build backend of the ``ivrconf`` Python package.

Owns: building ``libivrconf`` with cargo in the repository this directory
belongs to, and writing a wheel of the ``ivrconf`` package with that shared
library inside it (next to ``_ffi.py``, where the package looks first).
Must not: write into ``python/`` (the wheel is assembled from the sources
and cargo's output in ``target/``) or fetch anything (its only tool is cargo).

Why a backend of our own: the library is a plain C shared library loaded
with ctypes, not a CPython extension, so the usual Rust-extension builders
do not fit; setuptools would have to be fetched into the build environment
(with ``wheel`` on older versions), leaves ``build/`` and ``*.egg-info``
in ``python/``, and tags such a wheel with the interpreter (``cp311``)
although it depends only on the platform. A wheel is a zip of the files plus
three metadata files; writing it takes the standard library alone, so
``pip install ./python`` needs no build requirement and works offline.

Hooks: ``build_wheel``, ``prepare_metadata_for_build_wheel`` and the
``get_requires_*`` pair. An sdist cannot be built from ``python/`` alone
(the Rust sources live in the repository around it), so ``build_sdist``
refuses with that explanation.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
import sysconfig
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Union

__all__ = [
    "build_wheel",
    "build_sdist",
    "get_requires_for_build_wheel",
    "get_requires_for_build_sdist",
    "prepare_metadata_for_build_wheel",
]

#: The Python package directory (``python/``) and the repository around it.
PYTHON_DIR = Path(__file__).resolve().parents[1]
REPO = PYTHON_DIR.parent
PACKAGE = "ivrconf"
#: Oldest Python the package supports.
REQUIRES_PYTHON = ">=3.10"
#: Fixed zip timestamps (the earliest a zip can hold): same inputs, same wheel.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
#: The shared library's suffix on each platform (cargo's names).
LIBRARY_SUFFIXES = (".so", ".dylib", ".dll")

#: What a frontend may pass as ``config_settings`` (this backend takes none).
ConfigSettings = Optional[dict[str, Union[str, list[str]]]]


class BuildError(Exception):
    """The wheel cannot be built; the message says why and what to do."""


@dataclass(frozen=True)
class Crate:
    """What the wheel's metadata takes from the repository's ``Cargo.toml``."""

    version: str
    summary: str
    license: str


def _cargo() -> str:
    return os.environ.get("CARGO", "cargo")


def _run_cargo(args: list[str]) -> str:
    """Runs cargo in the repository; its stdout (stderr goes to the user)."""
    if not (REPO / "Cargo.toml").is_file():
        raise BuildError(
            f"{REPO} has no Cargo.toml: the ivrconf package is built from a checkout of "
            "the ivrconf repository (`pip install ./python` at its root)"
        )
    try:
        done = subprocess.run([_cargo(), *args], cwd=REPO, stdout=subprocess.PIPE, check=False)
    except FileNotFoundError as exc:
        raise BuildError(f"cargo not found ({exc}): install Rust to build libivrconf") from exc
    if done.returncode != 0:
        raise BuildError(f"`cargo {' '.join(args)}` failed with exit code {done.returncode} (its output is above)")
    return done.stdout.decode("utf-8", "replace")


def _crate() -> Crate:
    """The ``ivrconf`` package of ``cargo metadata`` (version, description, license)."""
    meta: dict[str, Any] = json.loads(_run_cargo(["metadata", "--no-deps", "--format-version", "1"]))
    packages: list[dict[str, Any]] = meta.get("packages") or []
    for package in packages:
        if package.get("name") == PACKAGE:
            version = str(package["version"])
            if not re.fullmatch(r"\d+(\.\d+)*", version):
                raise BuildError(f"Cargo.toml version {version!r} is not a plain release number (N.N.N)")
            return Crate(version, str(package.get("description") or ""), str(package.get("license") or ""))
    raise BuildError(f"cargo metadata in {REPO} lists no package named {PACKAGE!r}")


def _build_library() -> Path:
    """``cargo build --release --lib``; the path of the shared library it made."""
    out = _run_cargo(["build", "--release", "--lib", "--message-format=json-render-diagnostics"])
    found: list[Path] = []
    for line in out.splitlines():
        if not line.startswith("{"):
            continue
        message: dict[str, Any] = json.loads(line)
        if message.get("reason") != "compiler-artifact":
            continue
        target: dict[str, Any] = message.get("target") or {}
        if target.get("name") != PACKAGE:
            continue
        filenames: list[str] = message.get("filenames") or []
        found += [Path(f) for f in filenames if f.endswith(LIBRARY_SUFFIXES)]
    if len(found) != 1:
        raise BuildError(f"cargo build reported {len(found)} shared libraries for {PACKAGE}, expected 1: {found}")
    return found[0]


def _platform_tag() -> str:
    """The wheel's platform tag: the library depends on the platform only,
    not on the Python version or ABI (it is loaded with ctypes)."""
    return re.sub(r"[^A-Za-z0-9_]", "_", sysconfig.get_platform())


def _dist_info(crate: Crate) -> str:
    return f"{PACKAGE}-{crate.version}.dist-info"


def _metadata(crate: Crate) -> str:
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {PACKAGE}",
        f"Version: {crate.version}",
        f"Summary: {crate.summary}",
        f"License: {crate.license}",
        f"Requires-Python: {REQUIRES_PYTHON}",
        "Description-Content-Type: text/markdown",
    ]
    readme = PYTHON_DIR / "README.md"
    body = readme.read_text(encoding="utf-8") if readme.is_file() else ""
    return "\n".join(lines) + "\n\n" + body


def _wheel_file(tag: str) -> str:
    return "\n".join(
        [
            "Wheel-Version: 1.0",
            f"Generator: ivrconf_build ({sys.implementation.name} {sys.version.split()[0]})",
            "Root-Is-Purelib: false",
            f"Tag: {tag}",
        ]
    ) + "\n"


def _package_files() -> list[tuple[str, Path]]:
    """(path in the wheel, source file) for the package's Python files and
    its ``py.typed`` marker, sorted."""
    source = PYTHON_DIR / PACKAGE
    files = [p for p in source.iterdir() if p.is_file() and (p.suffix == ".py" or p.name == "py.typed")]
    if not any(p.name == "__init__.py" for p in files):
        raise BuildError(f"{source} has no __init__.py")
    return sorted((f"{PACKAGE}/{p.name}", p) for p in files)


class _WheelWriter:
    """A wheel being written: every entry is hashed for ``RECORD``."""

    def __init__(self, path: Path) -> None:
        self._zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED)
        self._record: list[str] = []

    def add(self, name: str, data: bytes, executable: bool = False) -> None:
        info = zipfile.ZipInfo(name, ZIP_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = (0o100755 if executable else 0o100644) << 16
        self._zip.writestr(info, data)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")
        self._record.append(f"{name},sha256={digest},{len(data)}")

    def close(self, record_name: str) -> None:
        self._record.append(f"{record_name},,")
        info = zipfile.ZipInfo(record_name, ZIP_TIME)
        info.external_attr = 0o100644 << 16
        self._zip.writestr(info, "\n".join(self._record) + "\n", compress_type=zipfile.ZIP_DEFLATED)
        self._zip.close()


def _write_metadata(directory: Path, crate: Crate, tag: str) -> str:
    dist_info = directory / _dist_info(crate)
    dist_info.mkdir(parents=True, exist_ok=True)
    (dist_info / "METADATA").write_text(_metadata(crate), encoding="utf-8")
    (dist_info / "WHEEL").write_text(_wheel_file(tag), encoding="utf-8")
    return dist_info.name


# -- PEP 517 hooks ------------------------------------------------------------


def get_requires_for_build_wheel(config_settings: ConfigSettings = None) -> list[str]:
    """Nothing: the standard library and cargo are all the build uses."""
    return []


def get_requires_for_build_sdist(config_settings: ConfigSettings = None) -> list[str]:
    return []


def prepare_metadata_for_build_wheel(metadata_directory: str, config_settings: ConfigSettings = None) -> str:
    """The ``.dist-info`` directory, without building the library."""
    return _write_metadata(Path(metadata_directory), _crate(), f"py3-none-{_platform_tag()}")


def build_wheel(
    wheel_directory: str,
    config_settings: ConfigSettings = None,
    metadata_directory: str | None = None,
) -> str:
    """Builds the library and writes ``ivrconf-VERSION-py3-none-PLATFORM.whl``."""
    crate = _crate()
    library = _build_library()
    tag = f"py3-none-{_platform_tag()}"
    name = f"{PACKAGE}-{crate.version}-{tag}.whl"
    out = Path(wheel_directory)
    out.mkdir(parents=True, exist_ok=True)
    partial = out / (name + ".part")
    dist_info = _dist_info(crate)
    try:
        wheel = _WheelWriter(partial)
        for arcname, source in _package_files():
            wheel.add(arcname, source.read_bytes())
        wheel.add(f"{PACKAGE}/{library.name}", library.read_bytes(), executable=True)
        wheel.add(f"{dist_info}/METADATA", _metadata(crate).encode("utf-8"))
        wheel.add(f"{dist_info}/WHEEL", _wheel_file(tag).encode("utf-8"))
        wheel.close(f"{dist_info}/RECORD")
        partial.replace(out / name)
    finally:
        partial.unlink(missing_ok=True)
    return name


def build_sdist(sdist_directory: str, config_settings: ConfigSettings = None) -> str:
    """Refused: the package is built from a repository checkout."""
    raise BuildError(
        "no sdist: the ivrconf package needs the Rust sources of the repository around "
        "python/; build a wheel (`pip install ./python` or `pip wheel ./python`) from a checkout"
    )

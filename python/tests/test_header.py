"""The binding against the committed header: every constant with its exact
value, every function with the header's signature, and the version."""

import ctypes
import re
import unittest

from _support import HEADER, ivrconf

from ivrconf import _ffi, constants

DEFINE = re.compile(r"^#define\s+(IVRCONF_\w+)\s+(\d+)\s*$", re.M)
PROTO = re.compile(r"^([A-Za-z_][\w \*]*?[\s\*])(ivrconf_\w+)\s*\(([^;]*?)\)\s*;", re.M | re.S)

# C type text (normalised) -> ctypes type the binding must declare.
C_TYPES = {
    "void": None,
    "ivrconf_result": ctypes.c_uint32,
    "uint32_t": ctypes.c_uint32,
    "uint16_t": ctypes.c_uint16,
    "int32_t": ctypes.c_int32,
    "uint64_t": ctypes.c_uint64,
    "ivrconf_op_id": ctypes.c_uint64,
    "size_t": ctypes.c_size_t,
    "void*": ctypes.c_void_p,
    "char*": ctypes.c_char_p,
    "char**": ctypes.POINTER(ctypes.c_char_p),
    "ivrconf_event_fn": _ffi.EVENT_FN,
    "ivrconf_log_fn": _ffi.LOG_FN,
    "ivrconf_free_fn": _ffi.FREE_FN,
    "ivrconf_config*": _ffi.CONFIG_P,
    "ivrconf_engine*": _ffi.ENGINE_P,
    "ivrconf_event*": _ffi.EVENT_P,
    "ivrconf_sim*": _ffi.SIM_P,
    "ivrconf_kv*": _ffi.KV_P,
    "ivrconf_stats*": _ffi.STATS_P,
    "ivrconf_config**": ctypes.POINTER(_ffi.CONFIG_P),
    "ivrconf_engine**": ctypes.POINTER(_ffi.ENGINE_P),
    "ivrconf_event**": ctypes.POINTER(_ffi.EVENT_P),
    "ivrconf_sim**": ctypes.POINTER(_ffi.SIM_P),
    "uint32_t*": ctypes.POINTER(ctypes.c_uint32),
    "uint16_t*": ctypes.POINTER(ctypes.c_uint16),
    "uint64_t*": ctypes.POINTER(ctypes.c_uint64),
    "ivrconf_op_id*": ctypes.POINTER(ctypes.c_uint64),
}


def norm_type(text):
    """'const struct ivrconf_engine *e' -> 'ivrconf_engine*' (name dropped)."""
    text = re.sub(r"/\*.*?\*/", "", text)
    text = re.sub(r"\b(const|struct)\b", "", text)
    stars = text.count("*")
    words = text.replace("*", " ").split()
    return words[0] + "*" * stars


def header_text():
    return HEADER.read_text(encoding="utf-8")


def header_functions():
    body = re.sub(r"/\*.*?\*/", "", header_text(), flags=re.S)
    body = re.sub(r"//[^\n]*", "", body)
    body = body.split('extern "C" {', 1)[-1]
    funcs = {}
    for ret, name, args in PROTO.findall(body):
        if "typedef" in ret:
            continue
        args = args.strip()
        params = [] if args in ("", "void") else [norm_type(a) for a in args.split(",")]
        funcs[name] = (norm_type(ret), params)
    return funcs


class HeaderConstants(unittest.TestCase):
    def test_every_define_has_its_enum_member(self):
        defines = DEFINE.findall(header_text())
        self.assertGreater(len(defines), 60)
        for name, value in defines:
            with self.subTest(name=name):
                value = int(value)
                if name.startswith("IVRCONF_VERSION_"):
                    self.assertEqual(getattr(constants, name[len("IVRCONF_"):]), value)
                    continue
                if name == "IVRCONF_OK":
                    self.assertEqual(ivrconf.Result.OK, value)
                    continue
                prefix = max((p for p in constants.HEADER_PREFIXES if name.startswith(p)), key=len, default=None)
                self.assertIsNotNone(prefix, f"{name} belongs to no enum of the binding")
                cls = constants.HEADER_PREFIXES[prefix]
                member = name[len(prefix):]
                self.assertIn(member, cls.__members__, f"{cls.__name__} lacks {member}")
                self.assertEqual(int(cls[member]), value)

    def test_every_enum_member_is_in_the_header(self):
        defines = dict((n, int(v)) for n, v in DEFINE.findall(header_text()))
        for prefix, cls in constants.HEADER_PREFIXES.items():
            for member in cls:
                name = "IVRCONF_OK" if member is ivrconf.Result.OK else prefix + member.name
                with self.subTest(name=name):
                    self.assertEqual(defines.get(name), int(member))

    def test_enums_follow_the_conventions(self):
        for cls in constants.HEADER_PREFIXES.values():
            values = sorted(int(m) for m in cls)
            start = 0 if cls is ivrconf.Result else 1
            self.assertEqual(values, list(range(start, start + len(values))), cls.__name__)


class HeaderFunctions(unittest.TestCase):
    def test_every_header_function_is_declared_with_its_signature(self):
        funcs = header_functions()
        self.assertIn("ivrconf_engine_new", funcs)
        for name, (ret, params) in funcs.items():
            with self.subTest(function=name):
                self.assertTrue(name in _ffi.PROTOTYPES, f"{name} is not declared by the binding")
                restype, argtypes = _ffi.PROTOTYPES[name]
                self.assertIn(ret, C_TYPES, f"unmapped return type {ret}")
                self.assertIs(restype, C_TYPES[ret])
                self.assertEqual(len(argtypes), len(params))
                for i, (declared, c_type) in enumerate(zip(argtypes, params)):
                    self.assertIn(c_type, C_TYPES, f"unmapped parameter type {c_type}")
                    self.assertIs(declared, C_TYPES[c_type], f"parameter {i} ({c_type})")

    def test_every_declared_function_is_in_the_header(self):
        funcs = header_functions()
        for name in _ffi.PROTOTYPES:
            with self.subTest(function=name):
                self.assertTrue(name in funcs, f"{name} is declared by the binding but not in the header")

    def test_every_declared_function_is_exported(self):
        for name in _ffi.PROTOTYPES:
            with self.subTest(function=name):
                self.assertTrue(_ffi.has_function(name), f"{ivrconf.library_path()} lacks {name}")


class HeaderStructs(unittest.TestCase):
    def test_stats_fields_are_the_headers_in_order(self):
        body = re.sub(r"/\*.*?\*/", "", header_text(), flags=re.S)
        fields = re.search(r"typedef struct ivrconf_stats \{(.*?)\} ivrconf_stats;", body, re.S).group(1)
        header = [tuple(f.split()) for f in fields.split(";") if f.strip()]
        c_names = {ctypes.c_uint32: "uint32_t", ctypes.c_uint64: "uint64_t"}
        self.assertEqual(header, [(c_names[t], n) for n, t in _ffi.ivrconf_stats._fields_])


class Version(unittest.TestCase):
    def test_version_agrees_with_header_and_number(self):
        self.assertEqual(
            ivrconf.version(),
            f"{ivrconf.VERSION_MAJOR}.{ivrconf.VERSION_MINOR}.{ivrconf.VERSION_PATCH}",
        )
        self.assertEqual(
            ivrconf.version_number(),
            ivrconf.VERSION_MAJOR << 16 | ivrconf.VERSION_MINOR << 8 | ivrconf.VERSION_PATCH,
        )
        self.assertEqual(ivrconf.__version__, ivrconf.version())

    def test_result_str_names_every_code(self):
        for code in ivrconf.Result:
            self.assertEqual(ivrconf.result_str(code), code.c_name)
        self.assertEqual(ivrconf.result_str(9999), "IVRCONF_ERR_UNKNOWN")
        self.assertEqual(ivrconf.result_str(0xFFFFFFFF), "IVRCONF_ERR_UNKNOWN")


if __name__ == "__main__":
    unittest.main()

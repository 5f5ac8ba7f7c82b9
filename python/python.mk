# Python (ctypes) binding: included by the top-level Makefile, which provides
# `lib` (cargo build --release) and $(BUILD).
#
# python-tests = python-typecheck + python-unittest:
# - python-typecheck: mypy --strict and pyright (strict, see
#   python/pyproject.toml) on the package and its build backend. The two
#   tools live in a venv of their own, $(PY_TOOLS), made once (from PyPI)
#   and remade when this file changes.
# - python-unittest: a fresh venv, `pip install ./python` into it with no
#   index (the in-tree backend needs nothing from PyPI: this proves the
#   install works offline), then the suite run by that venv's python from
#   $(BUILD), in isolated mode (-I: no PYTHONPATH, no current directory on
#   sys.path), so it imports the installed copy. IVRCONF_LIB (environment)
#   still overrides the library it loads.
PYTHON ?= python3
PY_VENV := $(CURDIR)/$(BUILD)/py-venv
PY_TOOLS := $(CURDIR)/$(BUILD)/py-tools
PY_TOOL_PINS := mypy==2.4.1 pyright==1.1.414

.PHONY: python-tests python-typecheck python-unittest

python-tests: python-typecheck python-unittest

$(PY_TOOLS)/.installed: python/python.mk | $(BUILD)
	rm -rf $(PY_TOOLS)
	$(PYTHON) -m venv $(PY_TOOLS)
	$(PY_TOOLS)/bin/python -m pip install --quiet $(PY_TOOL_PINS)
	touch $@

# PYRIGHT_PYTHON_IGNORE_WARNINGS: no check for a newer pyright at each run.
python-typecheck: $(PY_TOOLS)/.installed
	cd python && $(PY_TOOLS)/bin/mypy --strict
	cd python && PYRIGHT_PYTHON_IGNORE_WARNINGS=1 $(PY_TOOLS)/bin/pyright

python-unittest: lib | $(BUILD)
	rm -rf $(PY_VENV)
	$(PYTHON) -m venv $(PY_VENV)
	$(PY_VENV)/bin/python -m pip install --quiet --no-index --no-deps ./python
	cd $(BUILD) && IVRCONF_TEST_INSTALLED=1 $(PY_VENV)/bin/python -I -m unittest discover \
	  -s $(CURDIR)/python/tests -t $(CURDIR)/python/tests -v

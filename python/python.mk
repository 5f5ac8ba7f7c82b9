# Python (ctypes) binding: included by the top-level Makefile, which provides
# the `lib` target (cargo build --release). Standard library only: nothing to
# install. IVRCONF_LIB (environment) overrides the library the tests load;
# by default the package finds target/release/libivrconf.so of this repo.
PYTHON ?= python3

.PHONY: python-tests

python-tests: lib
	$(PYTHON) -m unittest discover -s python/tests -v

# tests/docs/docs.mk -- the documentation check, included by the top-level
# Makefile and run by `make test`.
#
#   make docs-tests   check_docs.py on README.md, docs/*.md, python/README.md
#                     and include/ivrconf.h (links and anchors, no reference
#                     to documents outside the repository, every short label
#                     defined), after the checker's own tests
PYTHON ?= python3

.PHONY: docs-tests

docs-tests:
	$(PYTHON) -m unittest discover -s tests/docs -p 'test_*.py'
	$(PYTHON) tests/docs/check_docs.py

test: docs-tests

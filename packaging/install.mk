# packaging/install.mk -- `make install`, `make uninstall` and the install
# test. Included by the top-level Makefile, which provides CC, CARGO, BUILD
# and the `lib` target (cargo build --release --lib).
#
#   make install    [PREFIX=/usr/local] [DESTDIR=] [LIBDIR=...] [STRIP=strip]
#   make uninstall  the same variables: removes every file install writes
#   make install-test
#                   tests/install/run.sh (part of `make test`): stages an
#                   install under DESTDIR, builds and runs a C example
#                   against it three ways (pkg-config shared, pkg-config
#                   static, CMake), then uninstalls
#
# Installed (under $(DESTDIR)):
#   $(LIBDIR)/libivrconf.so.X.Y.Z   SONAME libivrconf.so.X, every ivrconf_*
#                                   symbol bound to version node IVRCONF_X;
#                                   links libivrconf.so.X and libivrconf.so
#   $(LIBDIR)/libivrconf.a
#   $(INCLUDEDIR)/ivrconf.h         (and ivrconf.hpp when include/ has it)
#   $(LIBDIR)/pkgconfig/ivrconf.pc  Libs.private: what rustc reports
#   $(LIBDIR)/cmake/ivrconf/        ivrconf::ivrconf, ivrconf::ivrconf_static
#   $(BINDIR)/ivrconf-sim           (and ivrconf-trace when it has been built)
#   $(DOCDIR)/                      README.md, CHANGELOG.md, docs/*.md
# X.Y.Z is the [package] version of Cargo.toml, X its major number.
#
# The shared library is linked here from libivrconf.a, not copied from
# cargo's cdylib: rustc hands the linker its own (unversioned) export list,
# which a second version script cannot override, so packaging/ivrconf.map
# can only take effect on a link we run ourselves. cargo's cdylib keeps its
# SONAME (build.rs) for programs that link it in place.
#
# Libraries and programs are installed stripped (no debug information, no
# static symbol table in the .so; the .a keeps its symbols). Packagers who
# split debug information themselves pass STRIP=true to install them as built.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
DOCDIR ?= $(PREFIX)/share/doc/ivrconf
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
CMAKEDIR ?= $(LIBDIR)/cmake/ivrconf
INSTALL ?= install
STRIP ?= strip
RUSTC ?= rustc

# The [package] version of Cargo.toml (the first `version =` of that table).
PKG_VERSION := $(shell awk -F'"' '/^\[/ { pkg = ($$0 == "[package]") } pkg && /^version *=/ { print $$2; exit }' Cargo.toml)
PKG_VERSION_CORE := $(firstword $(subst -, ,$(subst +, ,$(PKG_VERSION))))
PKG_MAJOR := $(firstword $(subst ., ,$(PKG_VERSION_CORE)))
PKG_SONAME := libivrconf.so.$(PKG_MAJOR)
PKG_REALNAME := libivrconf.so.$(PKG_VERSION_CORE)

PKG_BUILD := $(BUILD)/pkg
PKG_STATIC := target/release/libivrconf.a
PKG_RLIB := target/release/libivrconf.rlib
PKG_SIM := target/release/ivrconf-sim
# The C++ header is optional (installed when present); the trace tool
# (tools/trace, its own workspace) is built by pkg-sim.
PKG_HPP = $(wildcard include/ivrconf.hpp)
PKG_TRACE = target/trace/release/ivrconf-trace
PKG_DOC_PAGES = $(wildcard docs/*.md)

# Every file install can write, the optional ones included: what uninstall
# removes. Run uninstall from the tree (and with the variables) that installed.
PKG_FILES = $(LIBDIR)/$(PKG_REALNAME) $(LIBDIR)/$(PKG_SONAME) $(LIBDIR)/libivrconf.so \
  $(LIBDIR)/libivrconf.a $(INCLUDEDIR)/ivrconf.h $(INCLUDEDIR)/ivrconf.hpp \
  $(PKGCONFIGDIR)/ivrconf.pc $(CMAKEDIR)/ivrconf-config.cmake \
  $(CMAKEDIR)/ivrconf-config-version.cmake $(BINDIR)/ivrconf-sim $(BINDIR)/ivrconf-trace \
  $(DOCDIR)/README.md $(DOCDIR)/CHANGELOG.md $(addprefix $(DOCDIR)/,$(PKG_DOC_PAGES))

.PHONY: install uninstall install-test pkg-sim

$(PKG_BUILD):
	mkdir -p $@

# The system libraries a static link needs, as rustc reports them for this
# crate's dependency graph: a one-line crate that uses the built rlib is
# linked as a staticlib with --print native-static-libs (cheap: nothing is
# compiled). `cargo rustc --crate-type staticlib` would report the same but
# recompile the crate and replace target/release/libivrconf.a with its own.
$(PKG_BUILD)/native-static-libs: $(PKG_STATIC) | $(PKG_BUILD)
	echo 'extern crate ivrconf;' | $(RUSTC) --edition 2021 --crate-type staticlib \
	  --crate-name ivrconf_native_libs --print native-static-libs \
	  --extern ivrconf=$(PKG_RLIB) -L dependency=target/release/deps \
	  -o $(PKG_BUILD)/native-libs-probe.a - 2> $@.log
	rm -f $(PKG_BUILD)/native-libs-probe.a
	sed -n 's/^note: native-static-libs: //p' $@.log > $@.tmp
	@test -s $@.tmp || { cat $@.log; echo "rustc reported no native-static-libs"; exit 1; }
	mv $@.tmp $@

# The installed shared library: every object of the archive (unused sections
# collected), exports limited and versioned by packaging/ivrconf.map.
$(PKG_BUILD)/$(PKG_REALNAME): $(PKG_STATIC) packaging/ivrconf.map $(PKG_BUILD)/native-static-libs
	$(CC) -shared -o $@ -Wl,-soname,$(PKG_SONAME) -Wl,--version-script=packaging/ivrconf.map \
	  -Wl,--gc-sections -Wl,--no-undefined -Wl,-z,relro,-z,now -Wl,-z,noexecstack \
	  -Wl,--whole-archive $(PKG_STATIC) -Wl,--no-whole-archive $$(cat $(PKG_BUILD)/native-static-libs)

pkg-sim:
	$(CARGO) build --release --bin ivrconf-sim
	$(CARGO) build --release --manifest-path tools/trace/Cargo.toml --target-dir target/trace

# render-pkg TEMPLATE OUT: the template with the install's paths, version and
# link flags filled in. CMake gets paths relative to its config directory.
render-pkg = sed -e 's|@VERSION@|$(PKG_VERSION)|g' \
  -e 's|@MAJOR@|$(PKG_MAJOR)|g' \
  -e 's|@SONAME@|$(PKG_SONAME)|g' \
  -e 's|@REALNAME@|$(PKG_REALNAME)|g' \
  -e 's|@PREFIX@|$(PREFIX)|g' \
  -e 's|@LIBDIR@|$(patsubst $(PREFIX)/%,$${prefix}/%,$(LIBDIR))|g' \
  -e 's|@INCLUDEDIR@|$(patsubst $(PREFIX)/%,$${prefix}/%,$(INCLUDEDIR))|g' \
  -e "s|@LIBS_PRIVATE@|$$(cat $(PKG_BUILD)/native-static-libs)|g" \
  -e "s|@CMAKE_LIBS_PRIVATE@|$$(sed -e 's/^-l//' -e 's/ -l/ /g' -e 's/ /;/g' $(PKG_BUILD)/native-static-libs)|g" \
  -e "s|@CMAKE_TO_LIBDIR@|$$(realpath -m --relative-to=$(CMAKEDIR) $(LIBDIR))|g" \
  -e "s|@CMAKE_TO_INCLUDEDIR@|$$(realpath -m --relative-to=$(CMAKEDIR) $(INCLUDEDIR))|g" \
  -e "s|@SIZEOF_VOID_P@|$$($(CC) -dM -E -x c /dev/null | sed -n 's/^\#define __SIZEOF_POINTER__ //p')|g" \
  $(1) > $(2)

install: lib pkg-sim $(PKG_BUILD)/$(PKG_REALNAME) $(PKG_BUILD)/native-static-libs
	$(INSTALL) -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR) \
	  $(DESTDIR)$(CMAKEDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(DOCDIR)/docs
	$(INSTALL) -m 755 $(PKG_BUILD)/$(PKG_REALNAME) $(DESTDIR)$(LIBDIR)/$(PKG_REALNAME)
	$(STRIP) --strip-unneeded $(DESTDIR)$(LIBDIR)/$(PKG_REALNAME)
	ln -sf $(PKG_REALNAME) $(DESTDIR)$(LIBDIR)/$(PKG_SONAME)
	ln -sf $(PKG_REALNAME) $(DESTDIR)$(LIBDIR)/libivrconf.so
	$(INSTALL) -m 644 $(PKG_STATIC) $(DESTDIR)$(LIBDIR)/libivrconf.a
	$(STRIP) --strip-debug $(DESTDIR)$(LIBDIR)/libivrconf.a
	$(INSTALL) -m 644 include/ivrconf.h $(PKG_HPP) $(DESTDIR)$(INCLUDEDIR)/
	$(call render-pkg,packaging/ivrconf.pc.in,$(DESTDIR)$(PKGCONFIGDIR)/ivrconf.pc)
	$(call render-pkg,packaging/ivrconf-config.cmake.in,$(DESTDIR)$(CMAKEDIR)/ivrconf-config.cmake)
	$(call render-pkg,packaging/ivrconf-config-version.cmake.in,$(DESTDIR)$(CMAKEDIR)/ivrconf-config-version.cmake)
	$(INSTALL) -m 755 $(PKG_SIM) $(PKG_TRACE) $(DESTDIR)$(BINDIR)/
	cd $(DESTDIR)$(BINDIR) && $(STRIP) ivrconf-sim $(notdir $(PKG_TRACE))
	$(INSTALL) -m 644 README.md CHANGELOG.md $(DESTDIR)$(DOCDIR)/
	$(INSTALL) -m 644 $(PKG_DOC_PAGES) $(DESTDIR)$(DOCDIR)/docs/

uninstall:
	rm -f $(addprefix $(DESTDIR),$(PKG_FILES))
	rmdir $(DESTDIR)$(CMAKEDIR) $(DESTDIR)$(DOCDIR)/docs $(DESTDIR)$(DOCDIR) 2>/dev/null || true

install-test: lib
	CC="$(CC)" MAKE="$(MAKE)" bash tests/install/run.sh

test: install-test

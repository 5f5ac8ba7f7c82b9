#!/usr/bin/env bash
# tests/install/run.sh -- `make install` and `make uninstall` as a user of
# the installed library sees them. Run from the repository root by
# `make install-test` (part of `make test`); needs cc, pkg-config, cmake,
# readelf, nm and ldd.
#
#   1. install with DESTDIR into a staging tree that already holds files of
#      other packages; the files added are exactly the expected set;
#   2. the shared library: real name, SONAME and links; only the functions
#      of the installed header exported, each bound to IVRCONF_<major>;
#      libraries and programs carry no debug information;
#   3. examples-c/one_step_conference.c (it starts the bundled simulator
#      through the C API) is built against the staged install and run, with
#      no LD_LIBRARY_PATH, three ways: pkg-config + rpath (shared),
#      pkg-config --static (the archive), CMake find_package (both targets);
#   4. uninstall leaves exactly the other packages' files.
set -euo pipefail

CC=${CC:-cc}
MAKE=${MAKE:-make}
unset LD_LIBRARY_PATH
EXPECT_LINE="outcome COMPLETED, state CONFERENCED, 3 parties: as expected"

fail() { echo "  FAIL install: $*" >&2; exit 1; }
ok() { echo "  ok   install: $*"; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ivrconf-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# The version every name derives from: [package] version of Cargo.toml.
version=$(awk -F'"' '/^\[/ { pkg = ($0 == "[package]") } pkg && /^version *=/ { print $2; exit }' Cargo.toml)
version=${version%%[-+]*}
major=${version%%.*}
soname=libivrconf.so.$major
realname=libivrconf.so.$version
[ -n "$major" ] || fail "no [package] version in Cargo.toml"

stage=$tmp/stage
prefix=/usr/local
root=$stage$prefix

# Other packages' files, which install and uninstall must leave alone.
mkdir -p "$root/lib/pkgconfig" "$root/bin" "$root/include" "$root/share/doc/other"
for f in lib/libother.so.1 lib/pkgconfig/other.pc bin/other include/other.h share/doc/other/README; do
    echo other > "$root/$f"
done
ln -s libother.so.1 "$root/lib/libother.so"
list_files() { (cd "$stage" && find . \( -type f -o -type l \) | sed 's|^\./||' | sort); }
list_files > "$tmp/before"

echo "install test (staged in DESTDIR=$stage, PREFIX=$prefix):"
$MAKE -s --no-print-directory install DESTDIR="$stage" PREFIX="$prefix" > "$tmp/install.log" 2>&1 ||
    { cat "$tmp/install.log"; fail "make install failed"; }

# 1. Exactly the expected files were added.
p=${prefix#/}
{
    printf '%s\n' "$p/lib/$realname" "$p/lib/$soname" "$p/lib/libivrconf.so" "$p/lib/libivrconf.a" \
        "$p/include/ivrconf.h" "$p/lib/pkgconfig/ivrconf.pc" \
        "$p/lib/cmake/ivrconf/ivrconf-config.cmake" "$p/lib/cmake/ivrconf/ivrconf-config-version.cmake" \
        "$p/bin/ivrconf-sim" "$p/share/doc/ivrconf/README.md" "$p/share/doc/ivrconf/CHANGELOG.md"
    for d in docs/*.md; do echo "$p/share/doc/ivrconf/$d"; done
    [ ! -f include/ivrconf.hpp ] || echo "$p/include/ivrconf.hpp"
    echo "$p/bin/ivrconf-trace"
    cat "$tmp/before"
} | sort > "$tmp/expected"
list_files > "$tmp/after"
diff -u "$tmp/expected" "$tmp/after" || fail "installed files differ from the expected set (diff above: - missing, + unexpected)"
while read -r other; do
    if [ -L "$stage/$other" ]; then
        [ "$(readlink "$stage/$other")" = libother.so.1 ] || fail "$other was changed"
    else
        [ "$(cat "$stage/$other")" = other ] || fail "$other was changed"
    fi
done < "$tmp/before"
ok "$(($(wc -l < "$tmp/after") - $(wc -l < "$tmp/before"))) files added, other packages' files untouched"

# 2. The shared library as the dynamic linker and the toolchain see it.
lib=$root/lib
[ -f "$lib/$realname" ] && [ ! -L "$lib/$realname" ] || fail "$realname is not a regular file"
for link in "$soname" libivrconf.so; do
    [ -L "$lib/$link" ] || fail "$link is not a symbolic link"
    [ "$(readlink -f "$lib/$link")" = "$(readlink -f "$lib/$realname")" ] || fail "$link does not lead to $realname"
done
got_soname=$(readelf -d "$lib/$realname" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$got_soname" = "$soname" ] || fail "SONAME is '$got_soname', expected $soname"
cargo_soname=$(readelf -d target/release/libivrconf.so | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$cargo_soname" = "$soname" ] || fail "cargo's cdylib has SONAME '$cargo_soname', expected $soname (build.rs)"
ok "$realname: SONAME $soname (cargo's cdylib too); $soname and libivrconf.so link to it"

nm -D --defined-only "$lib/$realname" | awk '{ print $2, $3 }' > "$tmp/dynsyms"
node=IVRCONF_$major
bad=$(grep -v -x -e "A $node" -e "T ivrconf_[a-z0-9_]*@@$node" "$tmp/dynsyms" || true)
[ -z "$bad" ] || fail "exported besides ivrconf_*@@$node: $bad"
grep -q -x "A $node" "$tmp/dynsyms" || fail "no version node $node"
sed -n "s/^T \(ivrconf_[a-z0-9_]*\)@@$node\$/\1/p" "$tmp/dynsyms" | sort > "$tmp/exported"
# The functions the installed header declares (comments dropped by cpp;
# function-pointer typedefs are not followed by '(' directly).
"$CC" -E -P -x c "$root/include/ivrconf.h" | grep -o 'ivrconf_[a-z0-9_]*(' | tr -d '(' | sort -u > "$tmp/declared"
diff -u "$tmp/declared" "$tmp/exported" || fail "exports differ from the header's functions (diff above: - header, + library)"
nm -D --defined-only target/release/libivrconf.so | awk '{ print $3 }' | sort > "$tmp/cargo-exported"
diff -u "$tmp/cargo-exported" "$tmp/exported" || fail "exports differ from cargo's cdylib"
ok "exports: the header's $(wc -l < "$tmp/declared") functions, each ivrconf_*@@$node, nothing else"

# sections FILE PATTERN: how many sections of FILE (each member of an
# archive) have a name matching PATTERN.
sections() { readelf -S --wide "$1" | grep -c -e "$2" || true; }
for f in "$lib/$realname" "$lib/libivrconf.a" "$root/bin/ivrconf-sim"; do
    [ "$(sections "$f" '\.debug_')" = 0 ] || fail "${f#"$stage"} carries debug information"
done
[ "$(sections "$lib/$realname" '\.symtab')" = 0 ] || fail "$realname keeps its static symbol table"
ok "no debug information: $realname $(stat -c %s "$lib/$realname") bytes, libivrconf.a $(stat -c %s "$lib/libivrconf.a"), ivrconf-sim $(stat -c %s "$root/bin/ivrconf-sim")"

# 3. Build the example against the staged install and run it.
mkdir -p "$tmp/src"
cp examples-c/one_step_conference.c examples-c/example.h "$tmp/src/"
run_app() { # NAME BINARY
    local status=0
    timeout 60 "$2" > "$tmp/$1.out" 2>&1 || status=$?
    [ "$status" = 0 ] || { cat "$tmp/$1.out"; fail "$1 exited with status $status"; }
    grep -q "$EXPECT_LINE" "$tmp/$1.out" || { cat "$tmp/$1.out"; fail "$1 did not print '$EXPECT_LINE'"; }
}
needs_ivrconf() { readelf -d "$1" | grep '(NEEDED)' | grep -o '\[libivrconf[^]]*\]' | tr -d '[]' || true; }
# resolved BINARY: where the dynamic linker finds libivrconf for BINARY.
resolved() { ldd "$1" | sed -n "s|^[[:space:]]*$soname => \([^ ]*\) .*|\1|p"; }

export PKG_CONFIG_PATH=$lib/pkgconfig
export PKG_CONFIG_SYSROOT_DIR=$stage  # the .pc names /usr/local: map it into the stage
[ "$(pkg-config --modversion ivrconf)" = "$version" ] || fail "pkg-config --modversion is not $version"

# (1) pkg-config, shared, found at run time through the rpath.
flags=$(pkg-config --cflags --libs ivrconf)
"$CC" -std=c99 -Wall -Wextra -Werror -pthread "$tmp/src/one_step_conference.c" -o "$tmp/app-shared" \
    $flags -Wl,-rpath,"$lib"
[ "$(needs_ivrconf "$tmp/app-shared")" = "$soname" ] || fail "app-shared does not need $soname"
[ "$(resolved "$tmp/app-shared")" = "$lib/$soname" ] || { ldd "$tmp/app-shared"; fail "ldd: $soname is not found in $lib"; }
run_app app-shared "$tmp/app-shared"
ok "pkg-config --cflags --libs ($flags) + rpath: needs $soname, ldd finds it in the stage, runs"

# (2) pkg-config --static: the archive, plus Libs.private. Both libraries
# sit in one directory and the linker prefers the shared one, so the
# archive is asked for explicitly around -livrconf.
static_flags=$(pkg-config --static --cflags --libs ivrconf)
private=$(pkg-config --static --libs ivrconf)
[ "$private" != "$(pkg-config --libs ivrconf)" ] || fail "ivrconf.pc has no Libs.private"
bracketed=" $static_flags "
bracketed=${bracketed/ -livrconf / -Wl,-Bstatic -livrconf -Wl,-Bdynamic }
"$CC" -std=c99 -Wall -Wextra -Werror -pthread "$tmp/src/one_step_conference.c" -o "$tmp/app-static" $bracketed
[ -z "$(needs_ivrconf "$tmp/app-static")" ] || fail "app-static needs the shared library"
run_app app-static "$tmp/app-static"
ok "pkg-config --static ($static_flags): links libivrconf.a, runs"

# (3) CMake: find_package(ivrconf) from CMAKE_PREFIX_PATH, both targets.
cmake -S tests/install -B "$tmp/cmake" -DCMAKE_C_COMPILER="$CC" -DCMAKE_PREFIX_PATH="$root" \
    -DEXAMPLE_DIR="$tmp/src" -DIVRCONF_EXPECT_VERSION="$version" > "$tmp/cmake.log" 2>&1 ||
    { cat "$tmp/cmake.log"; fail "cmake configure failed"; }
grep -q "ivrconf $version from $lib/cmake/ivrconf\$" "$tmp/cmake.log" ||
    { cat "$tmp/cmake.log"; fail "find_package(ivrconf) did not find the staged install"; }
cmake --build "$tmp/cmake" > "$tmp/cmake-build.log" 2>&1 || { cat "$tmp/cmake-build.log"; fail "cmake build failed"; }
[ "$(resolved "$tmp/cmake/app_shared")" = "$lib/$soname" ] || { ldd "$tmp/cmake/app_shared"; fail "ivrconf::ivrconf: $soname not found in $lib"; }
[ -z "$(needs_ivrconf "$tmp/cmake/app_static")" ] || fail "ivrconf::ivrconf_static: app_static needs the shared library"
run_app cmake-shared "$tmp/cmake/app_shared"
run_app cmake-static "$tmp/cmake/app_static"
ok "CMake find_package(ivrconf $version EXACT): ivrconf::ivrconf (ldd finds $soname in the stage) and ivrconf::ivrconf_static, both run; version $((major + 1)).0 turned down"

# 4. Uninstall: back to the other packages' files.
$MAKE -s --no-print-directory uninstall DESTDIR="$stage" PREFIX="$prefix" > "$tmp/uninstall.log" 2>&1 ||
    { cat "$tmp/uninstall.log"; fail "make uninstall failed"; }
list_files > "$tmp/final"
diff -u "$tmp/before" "$tmp/final" || fail "uninstall did not restore the file set (diff above)"
for d in "$root/lib/cmake/ivrconf" "$root/share/doc/ivrconf"; do
    [ ! -e "$d" ] || fail "uninstall left ${d#"$stage"}"
done
ok "uninstall removed every installed file and ivrconf's own directories, and nothing else"

#!/usr/bin/env bash
# fuzz/build.sh - builds the libFuzzer targets into build/fuzz/ (incremental).
#
# The milter sources (milter/*.c but main.c) are compiled here with clang, with the same
# warnings and defines as the Makefile, plus -fsanitize=fuzzer-no-link,address,undefined,
# into build/fuzz/obj/ and archived as build/fuzz/libacm-fuzz.a (never the gcc-built
# build/libacm.a). Each fuzz/fuzz_NAME.c is linked with -fsanitize=fuzzer,address,undefined
# into build/fuzz/fuzz_NAME. Objects are rebuilt when their source, any milter or fuzz header or the
# flags change. Usage: bash fuzz/build.sh [NAME...]  (default: every fuzz/fuzz_*.c)
# Environment: FUZZ_CC (default clang), VERSION (default: the Makefile's).
set -euo pipefail
cd "$(dirname "$0")/.."

CC=${FUZZ_CC:-clang}
OUT=build/fuzz
PKGS="gmime-3.0 libpcre2-8 libxml-2.0 libcurl"
VERSION=${VERSION:-$(sed -n 's/^VERSION *:\?= *//p' Makefile | head -n1)}
# shellcheck disable=SC2086  # PKGS is split on purpose
read -ra PKG_CFLAGS <<< "$(pkg-config --cflags $PKGS)"
# shellcheck disable=SC2086
read -ra PKG_LIBS <<< "$(pkg-config --libs $PKGS)"
WARN=(-std=c11 -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral)
# shellcheck disable=SC2054  # the commas belong to the flag
SAN=(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -O1 -g)
CFLAGS_ALL=("${WARN[@]}" -D_GNU_SOURCE "-DACM_VERSION=\"$VERSION\"" "${PKG_CFLAGS[@]}" "${SAN[@]}")
OBJ_FLAGS=("${CFLAGS_ALL[@]}" -fsanitize=fuzzer-no-link)
BIN_FLAGS=("${CFLAGS_ALL[@]}" -fsanitize=fuzzer -Imilter)
LIBS=(-lmilter -lopendkim "${PKG_LIBS[@]}" -lpthread)

mkdir -p "$OUT/obj"
# A change of compiler or flags rebuilds everything.
stamp="$OUT/flags"
want="$($CC --version | head -n1) | ${OBJ_FLAGS[*]} | ${BIN_FLAGS[*]} | ${LIBS[*]}"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    rm -f "$OUT"/obj/*.o "$OUT"/libacm-fuzz.a "$OUT"/fuzz_*
    printf '%s' "$want" > "$stamp"
fi

newest_hdr=
for h in milter/*.h fuzz/*.h; do
    if [ -z "$newest_hdr" ] || [ "$h" -nt "$newest_hdr" ]; then newest_hdr=$h; fi
done
objs=()
pids=()
for src in milter/*.c; do
    [ "$src" = milter/main.c ] && continue
    obj="$OUT/obj/$(basename "${src%.c}").o"
    objs+=("$obj")
    if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ "$newest_hdr" -nt "$obj" ]; then
        echo "  CC  $src"
        "$CC" "${OBJ_FLAGS[@]}" -c -o "$obj.tmp" "$src" && mv "$obj.tmp" "$obj" &
        pids+=($!)
    fi
done
fail=0
for p in ${pids[@]+"${pids[@]}"}; do wait "$p" || fail=1; done
[ "$fail" = 0 ] || { echo "fuzz/build.sh: compiling the milter sources failed" >&2; exit 1; }

lib="$OUT/libacm-fuzz.a"
rebuild_lib=0
[ -f "$lib" ] || rebuild_lib=1
for o in "${objs[@]}"; do [ "$o" -nt "$lib" ] && rebuild_lib=1; done
if [ "$rebuild_lib" = 1 ]; then
    echo "  AR  $lib"
    rm -f "$lib" && ar rcs "$lib" "${objs[@]}"
fi

if [ $# -gt 0 ]; then names=("$@"); else
    names=()
    for f in fuzz/fuzz_*.c; do n=$(basename "$f" .c); names+=("${n#fuzz_}"); done
fi
for n in "${names[@]}"; do
    src="fuzz/fuzz_$n.c"
    bin="$OUT/fuzz_$n"
    [ -f "$src" ] || { echo "fuzz/build.sh: no $src" >&2; exit 1; }
    if [ ! -f "$bin" ] || [ "$src" -nt "$bin" ] || [ "$lib" -nt "$bin" ] || [ "$newest_hdr" -nt "$bin" ]; then
        echo "  LD  $bin"
        "$CC" "${BIN_FLAGS[@]}" -o "$bin" "$src" "$lib" "${LIBS[@]}"
    fi
done

#!/usr/bin/env bash
# deps/libs.sh [CC] - run by the Makefile before the first compile: are the compiler, pkg-config
# and the libraries (pkg-config modules, the libmilter and libopendkim headers) there?
# Each missing one is one line naming the Debian package to install; exit 1 if any is missing.
# Honours PKG_CONFIG and CPPFLAGS (for headers outside the default search path).
set -u
cc=${1:-cc}
pkgconf=${PKG_CONFIG:-pkg-config}
fail=0
missing() { echo "acm-milter: missing $1: install the Debian package $2 (apt-get install $2)" >&2; fail=1; }

have_cc=1
command -v "${cc%% *}" >/dev/null 2>&1 || { missing "the C compiler $cc" build-essential; have_cc=0; }
if command -v "$pkgconf" >/dev/null 2>&1; then
    for m in gmime-3.0:libgmime-3.0-dev libpcre2-8:libpcre2-dev libxml-2.0:libxml2-dev \
             libcurl:libcurl4-openssl-dev; do
        "$pkgconf" --exists "${m%%:*}" 2>/dev/null || missing "the library ${m%%:*} (pkg-config)" "${m#*:}"
    done
else
    missing "$pkgconf" pkg-config
fi
if [ "$have_cc" = 1 ]; then
    for h in libmilter/mfapi.h:libmilter-dev opendkim/dkim.h:libopendkim-dev; do
        # shellcheck disable=SC2086  # CPPFLAGS is a list of flags
        printf '#include <%s>\n' "${h%%:*}" | $cc ${CPPFLAGS:-} -E -x c - >/dev/null 2>&1 ||
            missing "the header <${h%%:*}>" "${h#*:}"
    done
fi
exit "$fail"

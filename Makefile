# acm-milter - see README.md. `make`, `make check`, `make install`, `make clean`.
VERSION    := 0.1.0
PREFIX     ?= /usr/local
SBINDIR    ?= $(PREFIX)/sbin
SYSCONFDIR ?= /etc
CONFDIR    ?= $(SYSCONFDIR)/acm-milter
UNITDIR    ?= /lib/systemd/system
SYSUSERSDIR ?= /usr/lib/sysusers.d
TMPFILESDIR ?= /usr/lib/tmpfiles.d
MANDIR     ?= $(PREFIX)/share/man
DESTDIR    ?=

# Build flags as GNU and Debian expect: CPPFLAGS, CFLAGS and LDFLAGS from the command line or
# the environment (dpkg-buildflags) are honoured, the caller's CFLAGS last. -Werror only for
# the project's own checks: make check (and CI) builds with WERROR=-Werror, make clang always;
# a plain `make` does not, so a newer compiler's new warning cannot break a user's build.
CC       ?= cc
PKG_CONFIG ?= pkg-config
CFLAGS   ?= -O2 -g
CPPFLAGS ?=
LDFLAGS  ?=
ifneq ($(filter check,$(MAKECMDGOALS)),)
WERROR   ?= -Werror
endif
WERROR   ?=
PKGS    := gmime-3.0 libpcre2-8 libxml-2.0 libcurl
# (a missing module is reported by deps/libs.sh before the first compile, not here)
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
WARN    := -std=c11 -Wall -Wextra -Wshadow -Wformat=2 -Wno-format-nonliteral
ALL_CPPFLAGS := -D_GNU_SOURCE -DACM_VERSION='"$(VERSION)"' $(PKG_CFLAGS) $(CPPFLAGS)
ALL_CFLAGS := $(WARN) $(WERROR) $(CFLAGS)
# one .d file per object (-MMD -MP): an object depends on the headers it includes
DEPFLAGS := -MMD -MP
LIBS    := -lmilter -lopendkim $(PKG_LIBS) -lpthread

SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -O1 -g

LIB_SRCS := $(filter-out milter/main.c,$(wildcard milter/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=build/%.o)
SAN_OBJS := $(LIB_SRCS:%.c=build/san/%.o)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=build/tests/%)
SAN_BINS  := $(UNIT_SRCS:tests/unit/%.c=build/san/tests/%)
DEPFILES  := $(LIB_OBJS:.o=.d) $(SAN_OBJS:.o=.d) build/milter/main.d build/san/milter/main.d \
             $(UNIT_BINS:=.d) $(SAN_BINS:=.d)

.PHONY: all demo check deps deb deb-test hostile daemon soak faults spool fuzz fuzz-replay fuzz-quick unit unit-san clang cli install-test approval dkim systemd memcheck sendmail man-lint corpus protocol e2e notify install uninstall clean bench bench-quick

all: milter/acm-milter

# A change of compiler, flags or libraries rebuilds everything: build/flags holds the current ones.
FLAGS_NOW := $(CC) | $(ALL_CPPFLAGS) | $(ALL_CFLAGS) | $(LDFLAGS) | $(LIBS)
ifneq ($(FLAGS_NOW),$(file <build/flags))
$(shell mkdir -p build)
$(file >build/flags,$(FLAGS_NOW))
endif

# Before the first compile: the compiler and the libraries, one line per missing one naming its
# Debian package (deps/libs.sh).
build/libs.ok:
	@bash deps/libs.sh '$(CC)'
	@mkdir -p $(dir $@) && touch $@

build/%.o: %.c build/flags | build/libs.ok
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(DEPFLAGS) -c -o $@ $<

build/san/%.o: %.c build/flags | build/libs.ok
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(SAN_FLAGS) $(DEPFLAGS) -c -o $@ $<

build/libacm.a: $(LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

build/san/libacm.a: $(SAN_OBJS)
	rm -f $@ && ar rcs $@ $^

# The daemon itself under AddressSanitizer + UndefinedBehaviorSanitizer (tests only).
build/san/acm-milter: build/san/milter/main.o build/san/libacm.a
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

milter/acm-milter: build/milter/main.o build/libacm.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

build/tests/%: tests/unit/%.c build/libacm.a build/flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(DEPFLAGS) -Imilter $(LDFLAGS) -o $@ $< build/libacm.a $(LIBS)

build/san/tests/%: tests/unit/%.c build/san/libacm.a build/flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(SAN_FLAGS) $(DEPFLAGS) -Imilter $(LDFLAGS) -o $@ $< build/san/libacm.a $(LIBS)

-include $(DEPFILES)

# make check: first the Debian packages every suite needs (deps/ensure.sh, the list is
# deps/packages: as root it installs what is missing and says what; otherwise it names each
# missing package and stops), then every suite below, built with -Werror.
ifeq ($(ACM_CHECK_DEPS),)
check:
	@bash deps/ensure.sh build check
	@$(MAKE) --no-print-directory ACM_CHECK_DEPS=done WERROR=-Werror check
else

# Unit tests, then the same tests under AddressSanitizer + UndefinedBehaviorSanitizer, then
# the corpus through `acm-milter -t`, the milter protocol over real sockets, and a real
# Postfix end to end. Any failure fails `make check`.
check: all clang unit unit-san cli daemon install-test systemd man-lint corpus hostile fuzz-quick protocol memcheck e2e sendmail approval dkim notify faults spool
	@echo "make check: all tests passed"

endif

# Every package of deps/packages (build, demo, check, deb, bench).
deps:
	@bash deps/ensure.sh all

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; ./$$t; done

unit-san: $(SAN_BINS)
	@set -e; for t in $(SAN_BINS); do echo "== $$t (asan+ubsan)"; \
	  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  LSAN_OPTIONS=suppressions=tests/unit/lsan.supp:print_suppressions=0 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ./$$t; done

# The same sources must also be warning-free under clang.
clang: | build/libs.ok
	@set -e; for f in milter/*.c bench/floor.c; do clang $(ALL_CPPFLAGS) $(WARN) -Werror $(CFLAGS) -fsyntax-only $$f; done; \
	  $(CC) $(WARN) -Werror $(CFLAGS) -D_GNU_SOURCE -fsyntax-only bench/floor.c; \
	  echo "clang: milter/*.c and bench/floor.c clean under -Wall -Wextra -Werror (floor.c also under $(CC))"

# The suites that are one script each: `make NAME` runs `bash SUITE_NAME` after `all`.
SUITE_cli          := tests/cli.sh
SUITE_daemon       := tests/daemon.sh
SUITE_install-test := tests/install.sh
SUITE_systemd      := tests/systemd.sh
SUITE_corpus       := tests/run-corpus.sh
SUITE_protocol     := tests/protocol/run.sh
SUITE_e2e          := tests/e2e/postfix.sh
SUITE_approval     := tests/approval/run.sh
SUITE_dkim         := tests/dkim/run.sh
# notices through a real Postfix, MetricsFile through promtool, contrib/acm-milter.mtail
# through mtail
SUITE_notify       := tests/notify/run.sh
# a real Sendmail (Debian's sendmail-bin, downloaded and unpacked by the test: it cannot be
# installed beside Postfix) with INPUT_MAIL_FILTER pointing at acm-milter
SUITE_sendmail     := tests/sendmail/run.sh
# the protocol tests again, with the daemon under valgrind memcheck: 0 errors, 0 bytes
# definitely lost
SUITE_memcheck     := tests/valgrind/run.sh
# kill -9 under load, approval site down then back, spool on a full file system, 100 reloads
# under load
SUITE_faults       := tests/soak/faults.sh
# the approval queue under attack and faults: tampered entries of every kind, read-only and
# unreadable pending/, kill -9 in the middle of the approval POST, SIGTERM with an exchange
# in flight (daemon as an unprivileged user, local HTTPS fake of the ACM site)
SUITE_spool        := tests/spool/run.sh
SCRIPT_SUITES := cli daemon install-test systemd corpus protocol e2e approval dkim notify \
                 sendmail memcheck faults spool

$(SCRIPT_SUITES): all
	bash $(SUITE_$@)

hostile: build/san/acm-milter
	bash tests/hostile/run.sh

# libFuzzer targets (clang + libclang-rt-14-dev), built into build/fuzz/ by fuzz/build.sh.
# `make fuzz` fuzzes each for FUZZ_SECONDS (default 300) and fails on any finding, saving the
# input under tests/fuzz-regressions/; `make fuzz-replay` reruns seeds + regressions once;
# make check runs the replay and 15 s of each target.
fuzz:
	bash fuzz/run.sh

fuzz-replay:
	bash fuzz/replay.sh

fuzz-quick: fuzz-replay
	FUZZ_SECONDS=$${FUZZ_QUICK_SECONDS:-15} bash fuzz/run.sh

man-lint:
	bash man/lint.sh

# The floor filter the benchmark compares against (bench/floor.c): libmilter only.
build/bench/floor: bench/floor.c
	@mkdir -p $(dir $@)
	$(CC) $(WARN) -Werror -D_GNU_SOURCE $(CFLAGS) -o $@ $< -lmilter -lpthread

# Not part of make check: several minutes of load (bench-quick: one short round, < 1 minute).
bench: all build/bench/floor
	@bash deps/ensure.sh bench
	bash bench/run.sh

bench-quick: all build/bench/floor
	@bash deps/ensure.sh bench
	BENCH_QUICK=1 bash bench/run.sh

# 20,000 messages through Postfix over 50 sessions, then memory under three floods of 200
# concurrent 1 MiB messages (not part of make check: ~2 minutes of load).
soak: all
	bash tests/soak/soak.sh
	bash tests/soak/memory.sh

# A throwaway Postfix + acm-milter + fake approval site: see README.md, Quick start.
demo:
	+bash demo/run.sh

# The Debian package (debian/), built by dpkg-buildpackage -us -uc -b in a copy of the tree
# (build/deb/), so the tree stays clean and nothing is written beside it. Leaves
# build/acm-milter_VERSION_ARCH.deb; fails on any lintian error or warning (on the binary
# package and on the source package, made by dpkg-source -b for that only), and unless
# hardening-check passes on the packaged binary. tests/package.sh installs and purges it.
DEB_ARCH = $(shell dpkg --print-architecture 2>/dev/null)
DEB_FILE = build/acm-milter_$(VERSION)_$(DEB_ARCH).deb
deb:
	@bash deps/ensure.sh build deb
	@v=$$(dpkg-parsechangelog -l debian/changelog -S Version); [ "$$v" = "$(VERSION)" ] || \
	  { echo "deb: debian/changelog is at $$v, the Makefile's VERSION at $(VERSION)"; exit 1; }
	rm -rf build/deb $(DEB_FILE)
	mkdir -p build/deb/acm-milter-$(VERSION)
	tar -cf - --exclude=./build --exclude=./.git --exclude=./milter/acm-milter . | \
	  tar -xf - -C build/deb/acm-milter-$(VERSION)
	@# the source package too, only for lintian's checks of debian/ (copyright, control, rules)
	cd build/deb && dpkg-source -b acm-milter-$(VERSION) >source.log 2>&1 || \
	  { cat source.log; echo "deb: dpkg-source -b failed"; exit 1; }
	cd build/deb/acm-milter-$(VERSION) && dpkg-buildpackage -us -uc -b >../build.log 2>&1 || \
	  { tail -n 30 ../build.log; echo "deb: dpkg-buildpackage failed (build/deb/build.log)"; exit 1; }
	cp build/deb/acm-milter_$(VERSION)_$(DEB_ARCH).deb $(DEB_FILE)
	@echo "lintian --fail-on error,warning --display-info build/deb/acm-milter_$(VERSION).dsc $(DEB_FILE)"
	@lintian --fail-on error,warning --display-info build/deb/acm-milter_$(VERSION).dsc $(DEB_FILE) \
	  >build/deb/lintian.log 2>&1; rc=$$?; grep -v '^running with root privileges' build/deb/lintian.log; \
	  [ $$rc = 0 ] || { echo "deb: lintian found errors or warnings (exit $$rc)"; exit 1; }
	rm -rf build/deb/x && dpkg-deb -x $(DEB_FILE) build/deb/x
	@# --nocfprotection: Debian 12's C start files (Scrt1.o, crti.o) carry no IBT/SHSTK note,
	@# so no program linked on Debian 12 gets one (Postfix's neither); the objects are still
	@# built with -fcf-protection (debian/rules).
	hardening-check --nocfprotection build/deb/x/usr/sbin/acm-milter
	@echo "deb: $(DEB_FILE)"

# Installs the package on this machine, upgrades and purges it (tests/package.sh): run by .ci/run
# after make check, not by make check, which must not change a developer's machine.
deb-test:
	bash tests/package.sh

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(CONFDIR) $(DESTDIR)$(UNITDIR) \
	  $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR)
	install -m 0755 milter/acm-milter $(DESTDIR)$(SBINDIR)/acm-milter
	test -e $(DESTDIR)$(CONFDIR)/acm-milter.conf || \
	  install -m 0640 conf/acm-milter.conf $(DESTDIR)$(CONFDIR)/acm-milter.conf
	test -e $(DESTDIR)$(CONFDIR)/allowlist || \
	  install -m 0640 conf/allowlist $(DESTDIR)$(CONFDIR)/allowlist
	sed 's|@SBINDIR@|$(SBINDIR)|g' systemd/acm-milter.service > $(DESTDIR)$(UNITDIR)/acm-milter.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/acm-milter.service
	install -d $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5
	install -m 0644 man/acm-milter.8 $(DESTDIR)$(MANDIR)/man8/acm-milter.8
	install -m 0644 man/acm-milter.conf.5 $(DESTDIR)$(MANDIR)/man5/acm-milter.conf.5
	install -m 0644 systemd/acm-milter.sysusers $(DESTDIR)$(SYSUSERSDIR)/acm-milter.conf
	install -m 0644 systemd/acm-milter.tmpfiles $(DESTDIR)$(TMPFILESDIR)/acm-milter.conf

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/acm-milter $(DESTDIR)$(UNITDIR)/acm-milter.service \
	  $(DESTDIR)$(MANDIR)/man8/acm-milter.8 $(DESTDIR)$(MANDIR)/man5/acm-milter.conf.5 \
	  $(DESTDIR)$(SYSUSERSDIR)/acm-milter.conf $(DESTDIR)$(TMPFILESDIR)/acm-milter.conf

clean:
	rm -rf build milter/acm-milter

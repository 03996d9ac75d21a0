#!/usr/bin/env bash
# The approval queue under attack and under faults, against the local HTTPS fake of the ACM
# site (tests/approval/fake_acm.py, test CA made here). The daemon runs as an unprivileged
# user (UserID nobody: started as root, it drops privileges), so the permission cases mean
# something although the test runs as root. Entries are written straight into SpoolDir as
# acm-milter writes them (tests/spool/mkspool.py); no MTA is needed.
#
#  1. tampered entries of every kind in pending/: a valid entry under another name, under a
#     name that is not KEY.req (also one with a newline in it), key= with ../ in it, a key
#     that is not the digest of code|context, symlinks to /etc/passwd and to a valid entry
#     outside the spool, a hard link to one, a directory, a FIFO, an empty file, garbage, an
#     oversized file, a file the service user cannot read, a stray README, a finished entry
#     (state=approved) in pending/; a copy of an approved entry back in pending/. Each is moved once to SpoolDir/bad/ with one log line,
#     never fetched (the fake site never sees its code), nothing is opened or created outside
#     the spool, and -q lists them as bad; a valid entry next to them is approved once.
#  2. pending/ read-only: one error line naming it (not one per pass), an approved entry is
#     fetched once (not again every pass), a retried one saves its backoff (attempt 1, 2, 3...,
#     never stuck, one GET per retry line); once writable again: one "can be used again" line
#     and the finished entry leaves pending/.
#  3. pending/ unreadable: one error line, nothing fetched, -q exits 1 naming the folder;
#     once readable: the entry is approved.
#  4. kill -9 in the middle of the approval POST (the fake site holds its answer): the attempt
#     was written before the exchange; after the restart "resuming 1 pending entries" and the
#     entry is worked as attempt 2 (already approved by the site).
#  5. SIGTERM with an exchange in flight (the site never answers the GET; ApprovalTimeout 30):
#     approval=retry detail=stopped, the attempt kept, a clean exit; SIGTERM when idle. The
#     stop times are printed (figures); the only bound is a 60 s safety timeout.
#  6. SIGTERM under load: 20 messages in progress; a prompt, clean exit (no crash while their
#     sessions run), each answered or cut, the cut ones counted in the stop line.
. "$(dirname "$0")/../lib/common.sh"
. "$LIB/fake.sh"
. "$LIB/milter.sh"
HERE=$ROOT/tests/spool
MUSER=${SPOOL_TEST_USER:-nobody}   # no group of the MTA needed: nothing but this test connects
[ "$(id -u)" = 0 ] || { echo "spool: skipped (needs root to start the daemon as $MUSER)"; exit 0; }
id "${MUSER%%:*}" >/dev/null 2>&1 || die "no user $MUSER"
[ -x "$ACM_MILTER" ] || die "build acm-milter first (make)"
lib_init spool
SPOOL=$T/spool LOG=$T/log/milter.err SITES=$T/sites.json

key() { "$PY" "$HERE/mkspool.py" key "$1"; }
logcount() { grep -cE -- "$1" "$LOG"; }
has_log() { grep -qE -- "$1" "$LOG"; }
put() { # put NAME TEXT-FILE: into pending/ as the service user's file
    cp "$2" "$SPOOL/pending/$1" && chown "${MUSER%%:*}" "$SPOOL/pending/$1" && chmod 600 "$SPOOL/pending/$1"
}
entry() { # entry CASE [FIELD=VALUE...] > file
    "$PY" "$HERE/mkspool.py" entry "$@"
}
as_user() { setpriv --reuid="${MUSER%%:*}" --regid="$(id -g "${MUSER%%:*}")" --clear-groups "$@"; }
export -f fl; export PY FLOG APPROVAL

# ---------------------------------------------------------------- PKI, fake site, config
pki_make
CASES=(happy=ok t-other=ok t-copy=ok t-newline=ok t-escape=ok t-digest=ok t-digest-code=ok
    t-outside=ok t-hardlink=ok t-unreadable=ok t-state=ok ro=ok ro-retry=down nr=ok hold=hold-post hang=hang)
"$PY" "$HERE/mkspool.py" sites "$SITES" "${CASES[@]}" || die "mkspool sites"
fake_start 0 "$SITES" || die "fake site did not start: $(cat "$T/log/fake.err")"
export FLOG
conf_write "$T/acm.conf" "AllowList $ROOT/tests/data/allowlist" "SenderAuth authres" \
    "TrustedAuthservIDs mx.example.com" "Mode approve" "SpoolDir $SPOOL" \
    "ApprovalEndpoint https://127.0.0.1:$FPORT" "CAFile $PKI/ca.pem" "ApprovalTimeout 30" \
    "RetryInterval 1" "Socket unix:$T/run/acm.sock" "UserID $MUSER"

start_milter() {
    milter_start -f "$T/acm.conf" || { fail "milter did not start: $MILTER_WHY"; exit 1; }
}
stop_milter() { # SIGTERM; STOP_SECONDS is how long it took (a figure; the bound is 60 s)
    local t0=$EPOCHREALTIME
    kill -TERM "$MPID"
    wait_gone "$MPID" 60 || fail "milter $MPID still running 60 s after SIGTERM"
    STOP_SECONDS=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }')
    wait "$MPID" 2>/dev/null; STOP_RC=$?
    MPID=''
}

# ---------------------------------------------------------------- 1. tampered entries
start_milter   # makes SpoolDir and its folders, owned by the service user
stop_milter
check "first start and stop: no spool error" bash -c '! grep -q "SpoolDir .* cannot be used" "$1"' _ "$LOG"
mkdir -p "$T/outside" && chmod 755 "$T/outside"
entry happy >"$T/e-happy" && put "$(key happy).req" "$T/e-happy"
declare -A WHY   # name in pending/ -> the reason the log must give
entry t-other >"$T/e"; put "$(key t-copy).req" "$T/e"; WHY["$(key t-copy).req"]=key-mismatch
entry t-copy >"$T/e"; put "copy-of-entry.req" "$T/e"; WHY[copy-of-entry.req]=not-an-entry-name
entry t-newline >"$T/e"; put $'evil\nname.req' "$T/e"; WHY[$'evil\nname.req']=not-an-entry-name
entry t-escape key=../../outside/escaped >"$T/e"; put "$(key t-escape).req" "$T/e"; WHY["$(key t-escape).req"]=field
entry t-digest code="$("$PY" -c 'import sys; sys.path.insert(0, sys.argv[1]); import mkspool; print(mkspool.case("t-digest-code")["code"])' "$HERE")" >"$T/e"
put "$(key t-digest).req" "$T/e"; WHY["$(key t-digest).req"]=key-digest
ln -s /etc/passwd "$SPOOL/pending/$(key passwd).req"; WHY["$(key passwd).req"]=symlink
entry t-outside >"$T/outside/entry.req"
ln -s "$T/outside/entry.req" "$SPOOL/pending/$(key t-outside).req"; WHY["$(key t-outside).req"]=symlink
entry t-hardlink >"$T/outside/hard.req"; chown "${MUSER%%:*}" "$T/outside/hard.req"
ln "$T/outside/hard.req" "$SPOOL/pending/$(key t-hardlink).req"; WHY["$(key t-hardlink).req"]=hard-link
mkdir "$SPOOL/pending/$(key dir).req"; chown "${MUSER%%:*}" "$SPOOL/pending/$(key dir).req"; WHY["$(key dir).req"]=not-a-file
# a directory the service user cannot move (root's, mode 755): one line, left alone
mkdir "$SPOOL/pending/$(key dir-root).req"
mkfifo "$SPOOL/pending/$(key fifo).req"; WHY["$(key fifo).req"]=not-a-file
: >"$T/e"; put "$(key empty).req" "$T/e"; WHY["$(key empty).req"]=empty
head -c 3000 /dev/urandom >"$T/e"; put "$(key garbage).req" "$T/e"; WHY["$(key garbage).req"]=garbage
head -c 1048576 /dev/zero | tr '\0' 'x' >"$T/e"; put "$(key big).req" "$T/e"; WHY["$(key big).req"]=too-large
entry t-unreadable >"$T/e"; cp "$T/e" "$SPOOL/pending/$(key t-unreadable).req"
chown root "$SPOOL/pending/$(key t-unreadable).req"; chmod 000 "$SPOOL/pending/$(key t-unreadable).req"
WHY["$(key t-unreadable).req"]=unreadable
echo "notes" >"$T/e"; put README "$T/e"; WHY[README]=not-an-entry-name
entry t-state state=approved >"$T/e"; put "$(key t-state).req" "$T/e"; WHY["$(key t-state).req"]=state
NBAD=${#WHY[@]}
touch "$T/marker"
start_milter
check "a valid entry among the tampered ones is approved" poll 30 has_log 'approval=approved domain=happy.example.com'
for name in "${!WHY[@]}"; do
    shown=${name//$'\n'/?}
    check "tampered ${WHY[$name]}: '${shown:0:20}...' moved to bad/" poll 10 test -e "$SPOOL/bad/$name" -o -L "$SPOOL/bad/$name"
    check "tampered ${WHY[$name]}: '${shown:0:20}...' no longer in pending/" test ! -e "$SPOOL/pending/$name" -a ! -L "$SPOOL/pending/$name"
done
# a copy of the approved entry back in pending/, under its own name (done/ has it)
cp "$SPOOL/done/$(key happy).req" "$T/e"; put "$(key happy).req" "$T/e"
sleep 12   # at least two more passes of the worker (one every 5 s when idle)
for name in "${!WHY[@]}"; do
    shown=${name//$'\n'/?}
    n=$(grep -cF "is not valid (${WHY[$name]}): moved to $SPOOL/bad/" "$LOG")
    [ "$n" -ge 1 ] || fail "no '${WHY[$name]}' line for '${shown:0:20}...'"
done
check "one log line per tampered entry ($((NBAD + 1)) entries, $(logcount 'is not valid') lines)" \
    test "$(logcount 'is not valid \(')" = "$((NBAD + 1))"
check "an entry that cannot be moved: one line, left in pending/, never worked" \
    bash -c '[ "$(grep -c "is not valid (not-a-file) and cannot be moved to $2/bad" "$1")" = 1 ] && [ -d "$2/pending/$3.req" ]' _ "$LOG" "$SPOOL" "$(key dir-root)"
check "the newline in a name never reaches the log (one line each)" \
    bash -c '! grep -q "^name.req" "$1"' _ "$LOG"
check "the fake site never saw a tampered entry's code (requests: $(fl count 'name~t-'))" \
    test "$(fl count 'name~t-')" = 0
check "the valid entry was fetched once and posted once (GET $(fl count name=happy method=GET), POST $(fl count name=happy method=POST))" \
    test "$(fl count name=happy method=GET)" = 1 -a "$(fl count name=happy method=POST)" = 1
check "the copy of the approved entry left pending/ without a fetch" \
    poll 10 test ! -e "$SPOOL/pending/$(key happy).req"
check "/etc/passwd is still a symlink target only: bad/ holds the link itself" test -L "$SPOOL/bad/$(key passwd).req"
check "nothing written outside the spool (no 'escaped' anywhere, outside/ untouched)" \
    bash -c '[ -z "$(find "$1" -name "escaped*" 2>/dev/null)" ] && [ -z "$(find "$1/outside" -newer "$1/marker" 2>/dev/null)" ]' _ "$T"
check "the entry outside the spool is not worked and still there" test -f "$T/outside/entry.req"
q=$(as_user "$ACM_MILTER" -q -x "$T/acm.conf" 2>"$T/q.err"); qrc=$?
check "-q as $MUSER exits 0 (rc $qrc: $(head -c 200 "$T/q.err"))" test "$qrc" = 0
check "-q lists the $NBAD set-aside entries as bad (got $(grep -c '^bad bad/' <<<"$q"))" \
    test "$(grep -c '^bad bad/' <<<"$q")" = "$NBAD"
check "-q lists the approved entry" grep -q '^approved happy.example.com ' <<<"$q"
check "-q lists the entry left in pending/ as bad" grep -q "^bad pending/$(key dir-root).req detail=not-a-file" <<<"$q"
check "-q prints one line per entry (the newline in a name is not a line break)" \
    test "$(wc -l <<<"$q")" = "$((NBAD + 2))"
check "no spool error while the spool was usable" test "$(logcount 'cannot be used')" = 0

rmdir "$SPOOL/pending/$(key dir-root).req"

# ---------------------------------------------------------------- 2. pending/ read-only
chmod 500 "$SPOOL/pending"
entry ro >"$T/e"; put "$(key ro).req" "$T/e"
entry ro-retry >"$T/e"; put "$(key ro-retry).req" "$T/e"
check "read-only pending/: one error line naming it" \
    poll 20 has_log "SpoolDir $SPOOL cannot be used: $SPOOL/pending is not readable and writable"
check "read-only pending/: the entry is approved" poll 20 has_log 'approval=approved domain=ro.example.com'
check "read-only pending/: the end is in done/" test -f "$SPOOL/done/$(key ro).req"
sleep 12
check "read-only pending/: the approved entry was fetched once, not every pass (GET $(fl count name=ro method=GET))" \
    test "$(fl count name=ro method=GET)" = 1
check "read-only pending/: still one error line after several passes ($(logcount 'cannot be used'))" \
    test "$(logcount 'cannot be used')" = 1
attempts=$(grep -oE 'approval=retry domain=ro-retry.example.com [^ ]+ attempt=[0-9]+' "$LOG" | sed 's/.*attempt=//' | tr '\n' ' ')
check "read-only pending/: retries count up, never stuck (attempts: $attempts)" \
    bash -c 'set -- $1; [ $# -ge 2 ] || exit 1; i=1; for a; do [ "$a" = $i ] || exit 1; i=$((i + 1)); done' _ "$attempts"
nret=$(logcount 'approval=retry domain=ro-retry')
nget=$(fl count name=ro-retry method=GET)
check "read-only pending/: one fetch per retry line, the backoff kept in memory (retry lines $nret, GETs $nget)" \
    bash -c '[ "$1" = "$2" ] || [ "$1" = "$(($2 - 1))" ]' _ "$nret" "$nget"
chmod 700 "$SPOOL/pending"
check "pending/ writable again: one 'can be used again' line" poll 20 has_log "SpoolDir $SPOOL can be used again"
check "pending/ writable again: the finished entry leaves pending/" poll 20 test ! -e "$SPOOL/pending/$(key ro).req"
check "pending/ writable again: the retried entry's attempts are saved" \
    poll 20 grep -qE '^attempts=([3-9]|[1-9][0-9])$' "$SPOOL/pending/$(key ro-retry).req"
rm -f "$SPOOL/pending/$(key ro-retry).req"
check "the approved entry was never fetched again (GET $(fl count name=ro method=GET))" test "$(fl count name=ro method=GET)" = 1

# ---------------------------------------------------------------- 3. pending/ unreadable
chmod 300 "$SPOOL/pending"
entry nr >"$T/e"; put "$(key nr).req" "$T/e"
check "unreadable pending/: one error line naming it" \
    poll 20 bash -c '[ "$(grep -c "cannot be used: $2/pending is not readable" "$1")" = 1 ]' _ "$LOG" "$SPOOL"
q=$(as_user "$ACM_MILTER" -q -x "$T/acm.conf" 2>"$T/q.err"); qrc=$?
check "unreadable pending/: -q exits non-zero (rc $qrc)" test "$qrc" != 0
check "unreadable pending/: -q names the folder ($(head -c 200 "$T/q.err"))" grep -qF "cannot read $SPOOL/pending" "$T/q.err"
sleep 6
check "unreadable pending/: nothing fetched" test "$(fl count name=nr)" = 0
check "unreadable pending/: still one error line ($(logcount 'cannot be used'))" test "$(logcount 'cannot be used')" = 2
chmod 700 "$SPOOL/pending"
check "readable again: the entry is approved" poll 20 has_log 'approval=approved domain=nr.example.com'
check "readable again: 'can be used again'" test "$(logcount 'can be used again')" = 2

# ---------------------------------------------------------------- 4. kill -9 in the middle of the POST
entry hold >"$T/e"; put "$(key hold).req" "$T/e"
check "kill -9: the POST reached the site, whose answer is held" poll 30 bash -c '[ "$(fl count name=hold method=POST)" = 1 ]'
milter_kill9 "$MPID"
check "kill -9: the attempt was written before the exchange (attempts=1 in the entry)" \
    grep -qx 'attempts=1' "$SPOOL/pending/$(key hold).req"
check "kill -9: no approval line for the cut exchange" bash -c '! grep -q "approval=[a-z-]* domain=hold" "$1"' _ "$LOG"
"$PY" "$HERE/mkspool.py" sites "$SITES" "${CASES[@]/hold=hold-post/hold=ok}"
start_milter
check "after the restart: 'resuming 1 pending entries'" poll 10 has_log 'resuming 1 pending entries'
check "after the restart: the entry is worked as attempt 2 (already approved by the site)" \
    poll 30 has_log 'approval=already-approved domain=hold.example.com arn=[^ ]+ attempt=2 '

# ---------------------------------------------------------------- 5. SIGTERM
stop_milter
IDLE_STOP=$STOP_SECONDS
check "SIGTERM when idle: exit 0 (rc $STOP_RC)" test "$STOP_RC" = 0
info "SIGTERM when idle: stopped in $IDLE_STOP s"
start_milter
entry hang >"$T/e"; put "$(key hang).req" "$T/e"
check "SIGTERM in flight: the GET is in flight (the site does not answer)" poll 30 bash -c '[ "$(fl count name=hang method=GET)" -ge 1 ]'
stop_milter
info "SIGTERM with an exchange in flight (ApprovalTimeout 30): stopped in $STOP_SECONDS s"
check "SIGTERM in flight: approval=retry detail=stopped" has_log 'approval=retry domain=hang.example.com .*detail=stopped'
check "SIGTERM in flight: clean stop line" has_log 'stopping acm-milter \(clean\)'
check "SIGTERM in flight: exit 0 (rc $STOP_RC)" test "$STOP_RC" = 0
check "SIGTERM in flight: the attempt is kept in the entry" grep -qx 'attempts=1' "$SPOOL/pending/$(key hang).req"

# ---------------------------------------------------------------- 6. SIGTERM under load
# 20 messages in progress (bodies in, end of message sent right after the signal): the stop is
# prompt and clean (exit 0, no crash while sessions run); each message is answered or cut, and
# the stop line counts the cut ones (the MTA applies its default action to those).
start_milter
t0=$EPOCHREALTIME
out=$("$PY" "$ROOT/tests/soak/memflood.py" "$T/run/acm.sock" "$MPID" --sessions 20 --size 65536 --term 2>&1)
wait_gone "$MPID" 60 || fail "milter $MPID still running 60 s after SIGTERM"
wait "$MPID" 2>/dev/null; rc=$?; MPID=''
LOAD_STOP=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }')
answered=$(sed -n 's/^term: answered=\([0-9]*\) cut=.*/\1/p' <<<"$out")
cut=$(sed -n 's/^term: answered=[0-9]* cut=\([0-9]*\)$/\1/p' <<<"$out")
check "SIGTERM under load: every message answered or cut ($out)" test "$((${answered:-0} + ${cut:-0}))" = 20
check "SIGTERM under load: exit 0 (rc $rc)" test "$rc" = 0
if [ "${cut:-0}" -gt 0 ]; then
    check "SIGTERM under load: the stop line counts the $cut cut messages" has_log "stopping acm-milter \(clean; $cut messages in progress cut"
else
    check "SIGTERM under load: clean stop line" has_log 'stopping acm-milter \(clean\)$'
fi
info "SIGTERM with 20 messages in progress: gone $LOAD_STOP s after the signal ($answered answered, $cut cut)"
check "no secret in the log (codes and contexts)" bash -c '! grep -qiE "code=[0-9a-f-]{36}|context=[0-9a-f-]{40,}" "$1"' _ "$LOG"
info "SIGTERM: idle ${IDLE_STOP} s, with an exchange in flight ${STOP_SECONDS} s"

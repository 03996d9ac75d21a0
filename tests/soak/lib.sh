# Shared setup of tests/soak/soak.sh and tests/soak/faults.sh (sourced, not run).
#
# The caller sets NAME (soak|faults) and ACM_NAMES (the ACM requests to generate, see
# gen_soak.py) before sourcing, then calls setup_all. What it builds with the harness of
# tests/lib/ (see tests/README.md), all on loopback, in a temp dir, the host's mail setup
# untouched:
#   - a test PKI and the fake ACM approval site (tests/approval/fake_acm.py,
#     https://127.0.0.1:FPORT, every request behaviour "ok");
#   - smtp-sink on 127.0.0.1:SINK_PORT, counting messages (-c);
#   - a private Postfix whose smtpd on 127.0.0.1:PORT relays everything to the sink
#     (relayhost), with smtpd_milters = unix:SOCK and milter_default_action = accept;
#   - acm-milter -f (log lines on stderr, in $MLOG; no /dev/log needed) in Mode approve against
#     the fake site: ApprovalEndpoint, CAFile = the test CA, ApprovalTimeout 3, RetryInterval 1,
#     SenderAuth authres with TrustedAuthservIDs mx.example.com, tests/data/allowlist,
#     UserID nobody:postfix.
# The caller runs in a private mount namespace (lib_reexec_ns), so a tmpfs it mounts
# disappears with it even if the cleanup never runs. Everything started is stopped at the end
# (tests/lib/common.sh), which then checks that no process is left and nothing is mounted
# under the temp dir.

# the approver is libcurl: no proxy from the caller's environment may get in between
unset http_proxy https_proxy HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY
# under systemd the milter would not copy its log lines to stderr, where the tests read them
unset JOURNAL_STREAM

. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
. "$LIB/postfix.sh"
. "$LIB/milter.sh"
. "$LIB/fake.sh"
HERE=$ROOT/tests/soak
TIMEOUT=${SOAK_TIMEOUT:-30}     # bound of an ordinary poll
LIB_KEEP=${SOAK_KEEP:-}

lib_prereq() {
    local c f
    for c in smtp-source timeout openssl curl mount umount findmnt ss "$PY"; do
        command -v "$c" >/dev/null 2>&1 || die "missing command: $c (Debian: apt-get install postfix python3 openssl curl util-linux iproute2)"
    done
    id nobody >/dev/null 2>&1 || die "no user nobody"
    [ -x "$ACM_MILTER" ] || die "missing $ACM_MILTER (run make)"
    for f in "$APPROVAL/fake_acm.py" "$APPROVAL/fakelog.py" "$APPROVAL/mkca.sh" "$HERE/gen_soak.py" \
        "$ROOT/tests/data/allowlist"; do
        [ -f "$f" ] || die "missing $f"
    done
}

lib_reexec_ns -- "$@"
lib_init "$NAME"
MLOG=$T/log/milter.err
MSG=$T/msg
SRC_PIDS=()       # smtp-source processes running in the background (src_start)
PIDFILES=()       # files holding the pid of a process a background loop started
LOOP_PIDS=()      # background loops (bash subshells) that start such processes
MOUNTS=()         # mount points to unmount at the end

load_cleanup() {
    local p f m
    # background load loops (faults.sh case d): tell them to stop, stop what they run, wait
    [ -n "${LOAD_STOP:-}" ] && : >"$LOAD_STOP" 2>/dev/null
    for f in "${PIDFILES[@]}"; do
        [ -s "$f" ] && for p in $(cat "$f"); do stop_pid "$p" "load process"; done
    done
    for p in "${LOOP_PIDS[@]}"; do wait_gone "$p" 5 || kill -TERM "$p" 2>/dev/null; done
    for f in "${PIDFILES[@]}"; do    # one a loop may have started meanwhile
        [ -s "$f" ] && for p in $(cat "$f"); do stop_pid "$p" "load process"; done
    done
    for p in "${SRC_PIDS[@]}"; do stop_pid "$p" smtp-source; done
}
mounts_cleanup() {
    local m
    for m in "${MOUNTS[@]}"; do
        findmnt -rn --mountpoint "$m" >/dev/null 2>&1 && { umount "$m" 2>/dev/null || umount -l "$m"; }
    done
}

# ---------------------------------------------------------------- messages
declare -A FILE_OF DOMAIN_OF ARN_OF KEY_OF
gen_messages() { # gen_messages NAME...
    "$PY" "$HERE/gen_soak.py" "$MSG" "$@" >"$T/log/gen.log" 2>&1 || die "gen_soak.py: $(cat "$T/log/gen.log")"
    local name file domain arn key
    # shellcheck disable=SC2034  # the arrays are used by the scripts that source this file
    while IFS=$'\t' read -r name file _ domain arn key; do
        [ -n "$name" ] || continue
        FILE_OF[$name]=$MSG/$file DOMAIN_OF[$name]=$domain ARN_OF[$name]=$arn KEY_OF[$name]=$key
    done <"$MSG/manifest.tsv"
    # an ordinary message (for send_file) to a watched address: ruled out at end of headers
    printf 'From: someone <s@example.org>\nTo: postmaster@example.com\nSubject: hello\nDate: %s\nMessage-ID: <ordinary.%s@example.org>\n\nan ordinary message\n' \
        "$(date -R)" "$$" >"$MSG/ordinary.eml"
    chmod 644 "$MSG"/*
}

# ---------------------------------------------------------------- milter
# write_conf FILE [EXTRA-LINE...]; CONF_SPOOL, CONF_ADDHEADER, CONF_TIMEOUT change SpoolDir
# ($SPOOL), AddHeader (yes) and ApprovalTimeout (3) (a key given twice is an error)
write_conf() {
    local f=$1; shift
    conf_write "$f" "# acm-milter configuration of tests/soak ($NAME)" \
        "AllowList $ROOT/tests/data/allowlist" "SenderAuth authres" "TrustedAuthservIDs mx.example.com" \
        "Mode approve" "SpoolDir ${CONF_SPOOL:-$SPOOL}" "AddHeader ${CONF_ADDHEADER:-yes}" \
        "ApprovalEndpoint https://127.0.0.1:$FPORT" "CAFile $PKI/ca.pem" "ApprovalTimeout ${CONF_TIMEOUT:-3}" \
        "RetryInterval 1" "Socket unix:$SOCK" "UserID $MUSER" "$@"
}
start_milter() { # start_milter CONF: acm-milter -f; true once its socket answers
    milter_start -f "$1" || { echo "# acm-milter did not start: $MILTER_WHY"; return 1; }
}
stop_milter() { # SIGTERM, must be gone within 60 s (a safety bound)
    local p=$MPID
    milter_stop "$p" || { fail "milter $p did not stop on SIGTERM in 60 s"; kill -KILL "$p" 2>/dev/null; wait_gone "$p" 5; }
    MPID=''
}
kill9_milter() { milter_kill9; }
no_smtp_sessions() { # no SMTP session is open on the private smtpd (all clients gone)
    ! ss -Htn state established "( sport = :$PORT )" 2>/dev/null | grep -q .
}

# ---------------------------------------------------------------- sending
SENT=0
SRC_ERRORS=0
# shellcheck disable=SC2034  # used by the scripts that source this file
declare -A QID
send_file() { # send_file FILE RCPT KEY: one message through send_msg, queue id in QID[KEY]
    local f=$1 q
    q=$(send_msg "$PORT" "$(sender_of "$f" s@example.org)" "$2" "$f")
    if [ -n "$q" ]; then
        QID[$3]=$q
        SENT=$((SENT + 1))
        return 0
    fi
    fail "SMTP refused $(basename "$f") for $2: $(tail -n1 "$T/log/send.err")"
    # shellcheck disable=SC2034
    QID[$3]=NOQID
    return 1
}
# src_start TAG COUNT smtp-source-args...: one smtp-source in the background (bounded by
# SRC_TIMEOUT); COUNT messages are counted as sent
SRC_TIMEOUT=${SOAK_SRC_TIMEOUT:-600}
declare -A SRC_TAG
src_start() {
    local tag=$1 count=$2; shift 2
    timeout "$SRC_TIMEOUT" smtp-source "$@" "127.0.0.1:$PORT" >"$T/log/src-$tag.out" 2>"$T/log/src-$tag.err" </dev/null &
    SRC_PIDS+=("$!")
    SRC_TAG[$!]=$tag
    SENT=$((SENT + count))
}
src_running() { local p; for p in "${SRC_PIDS[@]}"; do alive "$p" && return 0; done; return 1; }
src_wait() { # wait for every smtp-source started; count failures (exit status, or anything on stderr)
    local p rc tag
    for p in "${SRC_PIDS[@]}"; do
        wait "$p"; rc=$?
        tag=${SRC_TAG[$p]}
        if [ "$rc" != 0 ] || [ -s "$T/log/src-$tag.err" ]; then
            SRC_ERRORS=$((SRC_ERRORS + 1))
            echo "# smtp-source $tag: exit $rc$([ "$rc" = 124 ] && echo " (timeout ${SRC_TIMEOUT} s)")"
            head -n5 "$T/log/src-$tag.err" | sed 's/^/#   /'
        fi
    done
    SRC_PIDS=()
}

# ---------------------------------------------------------------- all of it
setup_all() {
    lib_prereq
    mkdir -p "$MSG" || die "mkdir"
    milter_paths
    : >"$MLOG"
    on_exit mounts_cleanup
    pki_make
    gen_messages "${ACM_NAMES[@]}"
    fake_start 0 "$MSG/sites.json" || die "fake ACM site did not start: $(cat "$T/log/fake.err")"
    smtp_sink_start
    postfix_setup --name soak --relay "$SINK_PORT" --milter "unix:$SOCK"
    PORT=$PF_PORT
    CONF=$T/acm-milter.conf
    write_conf "$CONF"
    "$ACM_MILTER" -x "$CONF" -n >"$T/log/milter-n.out" 2>&1 || die "acm-milter -n rejects $CONF: $(cat "$T/log/milter-n.out")"
    start_milter "$CONF" || die "acm-milter did not start: $(tail -n5 "$MLOG")"
    postfix_start
    on_exit load_cleanup
    info "acm-milter $("$ACM_MILTER" -V 2>&1 | head -n1) pid $MPID on unix:$SOCK, Mode approve against the fake site https://127.0.0.1:$FPORT (pid $FAKE_PID)"
    info "Postfix $(postconf -h mail_version) smtpd 127.0.0.1:$PORT -> smtp-sink 127.0.0.1:$SINK_PORT; $(nproc) CPUs; temp dir $T; test pid $$"
}

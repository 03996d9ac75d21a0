# tests/lib/syslog.sh: a syslog sink on /dev/log for a test (sourced after common.sh).
#
# Contract. syslog_start (after lib_init, in the private mount namespace of lib_reexec_ns):
# starts tests/lib/syslog-sink.py, which appends every datagram to SYSLOG=$T/log/syslog.log as
# one line ("<PRI>ident[pid]: text"), and puts it on /dev/log without touching the host's:
#   overlay  a private overlay on /dev (this namespace only; it hides /dev's submounts such as
#            /dev/pts there) gets the socket as its /dev/log. Nothing done to the host's /dev
#            can take it away (a bind mount over the host's /dev/log is detached when another
#            program removes that file);
#   bind     no overlay possible: the sink's socket is bind-mounted over an existing /dev/log;
#   create   neither: the socket is created in the real /dev and removed at the end if it is
#            still ours ("ok - /dev/log created by the test was removed").
# It proves the sink with a probe line (die if the line does not arrive within 5 s) and pushes
# its own cleanup (stop the sink, undo the mount). SINK_PID, DEVLOG_MODE are set.

SYSLOG='' SINK_PID='' DEVLOG_MODE='' DEVLOG_ID=''

syslog_sink() { # syslog_sink SOCKETPATH
    rm -f "$T/run/sink.ready"
    bg_start SINK_PID "$PY" "$LIB/syslog-sink.py" "$1" "$SYSLOG" "$T/run/sink.ready" 2>"$T/log/sink.err"
    poll 10 test -s "$T/run/sink.ready" || die "syslog sink did not start: $(cat "$T/log/sink.err")"
}
devlog_overlay() {
    mkdir -p "$T/dev/up" "$T/dev/work" || return 1
    mount -t overlay overlay -o "lowerdir=/dev,upperdir=$T/dev/up,workdir=$T/dev/work" /dev 2>"$T/log/overlay.err" ||
        return 1
    [ -c /dev/null ] && [ -w /dev/null ] && return 0
    umount /dev
    return 1
}
syslog_stop() {
    stop_pid "$SINK_PID" "syslog sink"
    case $DEVLOG_MODE in
        bind) umount /dev/log 2>/dev/null ;;
        overlay) [ "$(findmnt -rn -o FSTYPE --mountpoint /dev | tail -n1)" = overlay ] && umount -l /dev ;;
        create)
            # remove /dev/log only if it is still the socket our sink made
            if [ -S /dev/log ] && [ "$(stat -c %d:%i /dev/log 2>/dev/null)" = "$DEVLOG_ID" ]; then
                rm -f /dev/log
            fi ;;
    esac
}
syslog_check_removed() {
    [ "$DEVLOG_MODE" = create ] || return 0
    if [ -e /dev/log ] && [ "$(stat -c %d:%i /dev/log 2>/dev/null)" = "$DEVLOG_ID" ]; then
        fail "/dev/log created by the test is still there"
    else
        ok "/dev/log created by the test was removed"
    fi
}

syslog_start() {
    local probe
    [ -n "${ACM_TEST_IN_NS:-}" ] || die "syslog_start outside a private mount namespace (call lib_reexec_ns first)"
    SYSLOG=$T/log/syslog.log
    : >"$SYSLOG"
    on_exit syslog_stop
    on_exit_check syslog_check_removed
    if devlog_overlay; then
        DEVLOG_MODE=overlay
        rm -f /dev/log      # the host's, if any: a whiteout in the overlay
        syslog_sink /dev/log
        info "syslog: /dev/log of a private overlay on /dev (the host's /dev is untouched)"
    elif [ -e /dev/log ] || [ -L /dev/log ]; then
        syslog_sink "$T/run/devlog"
        mount --bind "$T/run/devlog" /dev/log || die "mount --bind over /dev/log failed"
        DEVLOG_MODE=bind
        info "syslog: no private overlay on /dev ($(cat "$T/log/overlay.err" 2>/dev/null)); bind-mounted $T/run/devlog over /dev/log in a private mount namespace"
    else
        info "syslog: private overlay on /dev failed ($(cat "$T/log/overlay.err" 2>/dev/null)); creating /dev/log in the real /dev"
        syslog_sink /dev/log
        DEVLOG_MODE=create
        DEVLOG_ID=$(stat -c %d:%i /dev/log)
        info "syslog: created /dev/log (sink pid $SINK_PID), removed at the end"
    fi
    probe="acm-$LIB_NAME-probe-$$-$RANDOM"
    "$PY" -c 'import sys, syslog; syslog.openlog(sys.argv[1]); syslog.syslog(syslog.LOG_INFO, sys.argv[2])' "acm-$LIB_NAME" "$probe"
    poll 5 grep -q "$probe" "$SYSLOG" || die "syslog sink does not receive /dev/log datagrams"
}

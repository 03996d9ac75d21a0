# tests/lib/postfix.sh: a private Postfix instance on loopback (sourced after common.sh).
#
# Contract. postfix_setup writes a Postfix instance of its own under $T and nothing else: the
# host's Postfix (its /etc/postfix, its queue, its master) is never read, started or changed.
# Layout: config_directory PCONF=$T/etc, queue_directory $T/queue, data_directory $T/data,
# Maildirs under PF_MAIL=$T/mail, Postfix's own log in PLOG=$T/log/postfix.log (maillog_file),
# no chroot, no DNS for the client, IPv4 loopback only, mydestination empty. Options:
#   --name LABEL       myhostname mx.LABEL.invalid (default: the suite's name)
#   --port PORT        the smtpd listener 127.0.0.1:PORT (default: a free port); in PF_PORT
#   --smtpd "PORT OPT" one more smtpd listener, e.g. "$P2 -o smtpd_milters=unix:$S2" (repeatable)
#   --boxes "ADDR..."  virtual Maildir delivery: ADDR (local@domain) to PF_MAIL/domain/local/,
#                      owned by nobody; virtual_mailbox_domains are the domains of the ADDRs
#   --relay PORT       relayhost [127.0.0.1]:PORT (a smtp-sink, see smtp_sink_start)
#                      (neither: every message is bounced by the error transport)
#   --milter SPEC      smtpd_milters = SPEC (unix:PATH, inet:HOST:PORT or a { ... } group), with
#                      milter_default_action = accept; without: no milter at all
#   --main "K = V"     one more main.cf line (repeatable; a later line overrides an earlier one)
#   --no-check         skip `postfix check` (it takes seconds; `postfix start` checks too)
# It dies when the configuration is refused and pushes postfix_cleanup (stop the master, then
# every process of the instance) on the cleanup stack.
#   postfix_start      start it: "ok - private Postfix started ..." once every listener
#                      accepts connections; otherwise a FAIL and exit 1. MASTER_PID is set.
#   postfix_stop       `postfix stop`; true once the master is gone (15 s safety bound); then
#                      waits for (5 s each, else kills) the instance's other processes
#   postfix_pids       the processes of the instance (cwd in its queue, MAIL_CONFIG=PCONF)
#   maildir_file BOX   the first message delivered to PF_MAIL/BOX/new/ (BOX: domain/local)
#   relayed QID        the Postfix log says QID was handed to the relay sink (status=sent)
#   smtp_sink_start    smtp-sink -c on SINK_PORT (a free port); sink_count, sink_ge N: messages
#                      received since it started (DATA completed)
#   send_msg PORT SENDER RCPT[,RCPT] FILE   one message over SMTP (tests/lib/smtp-send.py);
#                      the queue id on stdout; the server's refusal in $T/log/send.err

PCONF="" PLOG="" PF_MAIL="" PF_PORT="" MASTER_PID="" SINK_PORT="" SMTP_SINK_PID="" SINK_BASE=0
PF_LISTEN=()

postfix_setup() {
    local name=$LIB_NAME boxes='' relay='' milter='' check=1 extra=() a d vuid vgid
    PF_LISTEN=()
    PF_PORT=''
    while [ $# -gt 0 ]; do
        case $1 in
            --name) name=$2; shift ;;
            --port) PF_PORT=$2; shift ;;
            --smtpd) PF_LISTEN+=("$2"); shift ;;
            --boxes) boxes=$2; shift ;;
            --relay) relay=$2; shift ;;
            --milter) milter=$2; shift ;;
            --main) extra+=("$2"); shift ;;
            --no-check) check='' ;;
            *) die "postfix_setup: unknown option $1" ;;
        esac
        shift
    done
    for a in postfix postconf postqueue; do command -v "$a" >/dev/null 2>&1 || die "missing command: $a (install postfix)"; done
    id postfix >/dev/null 2>&1 || die "no user postfix (install the postfix package)"
    getent group postdrop >/dev/null 2>&1 || die "no group postdrop (install the postfix package)"
    [ -n "$PF_PORT" ] || PF_PORT=$(free_port) || die "no free port"
    PF_LISTEN=("$PF_PORT" "${PF_LISTEN[@]}")
    PCONF=$T/etc PLOG=$T/log/postfix.log PF_MAIL=$T/mail
    mkdir -p "$PCONF" "$T/queue" "$T/data" "$PF_MAIL" || die "mkdir"
    chown postfix: "$T/data"
    chmod 700 "$T/data"
    vuid=$(id -u nobody) vgid=$(id -g nobody)
    chown "$vuid:$vgid" "$PF_MAIL"
    on_exit postfix_cleanup

    {
        cat <<EOF
# private Postfix instance of the $LIB_NAME tests
compatibility_level = 3.6
queue_directory = $T/queue
data_directory = $T/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.$name.invalid
mydomain = $name.invalid
myorigin = \$myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relay_domains =
alias_maps =
alias_database =
local_recipient_maps =
append_dot_mydomain = no
biff = no
smtpd_banner = \$myhostname ESMTP
smtpd_peername_lookup = no
maillog_file = $PLOG
maillog_file_prefixes = $T/log
queue_run_delay = 5s
minimal_backoff_time = 5s
maximal_backoff_time = 10s
non_smtpd_milters =
milter_default_action = accept
smtpd_milters = $milter
EOF
        if [ -n "$relay" ]; then
            echo "relayhost = [127.0.0.1]:$relay"
        else
            echo "relayhost ="
            echo "default_transport = error:this test delivers no outbound mail"
        fi
        if [ -n "$boxes" ]; then
            d=$(for a in $boxes; do echo "${a#*@}"; done | awk '!seen[$0]++' | paste -sd, - | sed 's/,/, /g')
            cat <<EOF
virtual_mailbox_domains = $d
virtual_mailbox_base = $PF_MAIL
virtual_mailbox_maps = texthash:$PCONF/vmailbox
virtual_uid_maps = static:$vuid
virtual_gid_maps = static:$vgid
EOF
        fi
        for a in "${extra[@]}"; do echo "$a"; done
    } >"$PCONF/main.cf"
    : >"$PCONF/vmailbox"
    for a in $boxes; do echo "$a ${a#*@}/${a%@*}/" >>"$PCONF/vmailbox"; done

    {
        echo "# service        type  private unpriv  chroot  wakeup  maxproc command"
        for a in "${PF_LISTEN[@]}"; do
            printf '127.0.0.1:%-7s inet  n       -       n       -       -       smtpd%s\n' \
                "${a%% *}" "$(case $a in *' '*) echo " ${a#* }" ;; esac)"
        done
        cat <<EOF
cleanup          unix  n       -       n       -       0       cleanup
qmgr             unix  n       -       n       300     1       qmgr
rewrite          unix  -       -       n       -       -       trivial-rewrite
bounce           unix  -       -       n       -       0       bounce
defer            unix  -       -       n       -       0       bounce
trace            unix  -       -       n       -       0       bounce
verify           unix  -       -       n       -       1       verify
flush            unix  n       -       n       1000?   0       flush
proxymap         unix  -       -       n       -       -       proxymap
showq            unix  n       -       n       -       -       showq
error            unix  -       -       n       -       -       error
retry            unix  -       -       n       -       -       error
discard          unix  -       -       n       -       -       discard
virtual          unix  -       n       n       -       -       virtual
smtp             unix  -       -       n       -       -       smtp
relay            unix  -       -       n       -       -       smtp
anvil            unix  -       -       n       -       1       anvil
scache           unix  -       -       n       -       1       scache
postlog          unix-dgram n  -       n       -       1       postlogd
EOF
    } >"$PCONF/master.cf"
    if [ -n "$check" ]; then
        postfix -c "$PCONF" check >>"$T/log/postfix-ctl.log" 2>&1 || { cat "$T/log/postfix-ctl.log"; die "postfix check failed"; }
    fi
}


postfix_start() {
    local a ports=''
    if ! postfix -c "$PCONF" start >>"$T/log/postfix-ctl.log" 2>&1; then
        fail "postfix start: $(tail -n5 "$T/log/postfix-ctl.log")"
        exit 1
    fi
    MASTER_PID=$(head -n1 "$T/queue/pid/master.pid" 2>/dev/null | tr -d ' ')
    STARTED_PIDS+=("$MASTER_PID")
    for a in "${PF_LISTEN[@]}"; do
        a=${a%% *}
        poll 60 port_open "$a" || { fail "smtpd does not listen on 127.0.0.1:$a"; exit 1; }
        ports="$ports${ports:+, }127.0.0.1:$a"
    done
    ok "private Postfix started (master pid $MASTER_PID, smtpd $ports)"
    if grep -q 'warning' "$T/log/postfix-ctl.log"; then
        info "postfix check/start warnings:"; grep 'warning' "$T/log/postfix-ctl.log" | sed 's/^/#   /'
    fi
}

postfix_stop() {
    local m=$MASTER_PID p
    postfix -c "$PCONF" stop >>"$T/log/postfix-ctl.log" 2>&1
    MASTER_PID=''
    wait_gone "$m" 15 || return 1
    for p in $(postfix_pids); do wait_gone "$p" 5 || kill -KILL "$p" 2>/dev/null; done
    return 0
}

postfix_pids() {
    local p cwd
    for p in /proc/[0-9]*; do
        p=${p#/proc/}
        cwd=$(readlink "/proc/$p/cwd" 2>/dev/null) || continue
        case $cwd in "$T/queue" | "$T/queue"/*) echo "$p"; continue ;; esac
        if { tr '\0' '\n' <"/proc/$p/environ"; } 2>/dev/null | grep -qxF "MAIL_CONFIG=$PCONF"; then
            echo "$p"
        fi
    done | sort -u | grep -vx "$$" || true
}

postfix_cleanup() {
    local p
    if alive "$MASTER_PID" || { [ -z "$MASTER_PID" ] && [ -f "$PCONF/main.cf" ] &&
        postfix -c "$PCONF" status >/dev/null 2>&1; }; then
        [ -z "$MASTER_PID" ] && MASTER_PID=$(head -n1 "$T/queue/pid/master.pid" 2>/dev/null | tr -d ' ')
        postfix -c "$PCONF" stop >>"$T/log/postfix-ctl.log" 2>&1
    fi
    [ -n "$MASTER_PID" ] && { wait_gone "$MASTER_PID" 15 || kill -KILL "$MASTER_PID" 2>/dev/null; }
    for p in $(postfix_pids); do wait_gone "$p" 5 || kill -KILL "$p" 2>/dev/null; done
}

maildir_file() { # maildir_file BOX: the first delivered file of PF_MAIL/BOX
    local f
    for f in "$PF_MAIL/$1/new/"*; do [ -f "$f" ] && { echo "$f"; return 0; }; done
    return 1
}
relayed() {
    grep -qE "postfix/smtp\[[0-9]+\]: $1: to=<[^>]*>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$SINK_PORT,.* status=sent" "$PLOG"
}

# ---------------------------------------------------------------- smtp-sink (relay target)
smtp_sink_start() {
    command -v smtp-sink >/dev/null 2>&1 || die "missing command: smtp-sink (install postfix)"
    [ -n "$SINK_PORT" ] || SINK_PORT=$(free_port) || die "no free port"
    # -c: running counters "sess=N quit=N mesg=N" on stdout, one update per event
    bg_start SMTP_SINK_PID smtp-sink -c -u nobody "127.0.0.1:$SINK_PORT" 256 >"$T/log/sink.out" 2>"$T/log/sink.err" </dev/null
    on_exit stop_pid "$SMTP_SINK_PID" smtp-sink
    poll 10 port_open "$SINK_PORT" || die "smtp-sink does not listen on 127.0.0.1:$SINK_PORT: $(cat "$T/log/sink.err")"
    SINK_BASE=0
    SINK_BASE=$(sink_count)    # the probe connection is a session, not a message
}
sink_count() { # messages the sink has received (DATA completed) since it started
    local s r n
    s=$(tail -c 400 "$T/log/sink.out" 2>/dev/null)
    # records are "sess=N quit=N mesg=N" each followed by CR; drop a record still being written
    case $s in *$'\r') s=${s%$'\r'} ;; *$'\r'*) s=${s%$'\r'*} ;; *) s='' ;; esac
    r=${s##*$'\r'}
    n=$(sed -n 's/^sess=[0-9]* quit=[0-9]* mesg=\([0-9][0-9]*\)$/\1/p' <<<"$r")
    echo $((${n:-0} - SINK_BASE))
}
sink_ge() { [ "$(sink_count)" -ge "$1" ]; }

# ---------------------------------------------------------------- SMTP client
send_msg() { # send_msg PORT SENDER RCPT[,RCPT...] FILE -> queue id
    "$PY" "$LIB/smtp-send.py" 127.0.0.1 "$1" "$2" "$3" "$4" 2>>"$T/log/send.err"
}

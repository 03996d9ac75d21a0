# tests/lib/mta.sh: the checks of the three-message scenario that every MTA suite runs (sourced
# after common.sh, syslog.sh and postfix.sh): the ACM message ACM_EML to admin@example.com, the
# ordinary ORD_EML to someone@ (not watched) and to postmaster@ (watched, ruled out), through an
# MTA on 127.0.0.1 with acm-milter (pid MPID) logging to the syslog sink.
#
# Contract. Each function reports one ok/FAIL line per assertion; none waits longer than its
# safety bound (10 s) and none depends on which MTA delivered.
#   mta_send_three PORT        sends the three (SMTP), sets QID_ACM QID_ORD QID_PM, ACM_FROM ORD_FROM
#   mta_each_sent CMD          CMD QID RCPT for each of the three sent (the MTA's own log check)
#   mta_check_received F_ACM TEXT   the delivered ACM message's Received header has "TEXT QID_ACM"
#   mta_check_ordinary F_ORD F_PM   the ordinary copies: body byte-identical, headers only
#                              prepended, no X-ACM-Milter
#   mta_check_acm F_ACM        the ACM message: one X-ACM-Milter, decision=approve, body and
#                              original headers unchanged (header kept in $T/log/x-acm-milter.txt)
#   mta_check_decision         the decision line of QID_ACM from pid MPID (one, approve, rcpt,
#                              rule, facility mail) and its approval=queued (dry-run)
#   mta_check_quiet            no line for someone@'s message, postmaster@'s is ignore/not-acm,
#                              no code or context in syslog, the header or the milter's output
#   mta_check_clean_stop [HOW] the milter logged "stopping ... (clean)" (HOW: its exit status)

mta_send_three() { # mta_send_three PORT
    ACM_FROM=$(sender_of "$ACM_EML" no-reply@certificates.amazon.com)
    ORD_FROM=$(sender_of "$ORD_EML" sender@other.org)
    info "envelope senders: $ACM_FROM (ACM), $ORD_FROM (ordinary)"
    QID_ACM=$(send_msg "$1" "$ACM_FROM" admin@example.com "$ACM_EML")
    check "SMTP accepted $ACM_EML for admin@example.com (queue id ${QID_ACM:-none})" test -n "$QID_ACM"
    QID_ORD=$(send_msg "$1" "$ORD_FROM" someone@example.com "$ORD_EML")
    check "SMTP accepted $ORD_EML for someone@example.com (queue id ${QID_ORD:-none})" test -n "$QID_ORD"
    QID_PM=$(send_msg "$1" "$ORD_FROM" postmaster@example.com "$ORD_EML")
    check "SMTP accepted $ORD_EML for postmaster@example.com (queue id ${QID_PM:-none})" test -n "$QID_PM"
    [ -s "$T/log/send.err" ] && sed 's/^/# /' "$T/log/send.err"
}

mta_each_sent() { # mta_each_sent CMD
    [ -n "$QID_ACM" ] && "$1" "$QID_ACM" admin@example.com
    [ -n "$QID_ORD" ] && "$1" "$QID_ORD" someone@example.com
    [ -n "$QID_PM" ] && "$1" "$QID_PM" postmaster@example.com
    return 0
}
mta_check_received() { # mta_check_received F_ACM TEXT
    [ -n "$1" ] && [ -n "$QID_ACM" ] || return 0
    check "delivered ACM message's Received header has the queue id $QID_ACM" \
        grep -q "$2 $QID_ACM" <("$PY" "$LIB/msgcheck.py" header "$1" Received)
}

mta_check_ordinary() { # mta_check_ordinary F_ORD F_PM
    local who f out n
    for who in someone postmaster; do
        if [ "$who" = someone ]; then f=$1; else f=$2; fi
        [ -n "$f" ] || { fail "ordinary message to $who@example.com not delivered"; continue; }
        out=$("$PY" "$LIB/msgcheck.py" same "$ORD_EML" "$f")
        check "ordinary message to $who@example.com: body byte-identical, headers unchanged${out:+: $out}" test -z "$out"
        n=$("$PY" "$LIB/msgcheck.py" header "$f" X-ACM-Milter | wc -l)
        check "ordinary message to $who@example.com has no X-ACM-Milter header (found $n)" test "$n" = 0
    done
}

mta_check_acm() { # mta_check_acm F_ACM
    local hdr n out
    : >"$T/log/x-acm-milter.txt"
    [ -n "$1" ] || { fail "ACM message to admin@example.com not delivered"; return 1; }
    hdr=$("$PY" "$LIB/msgcheck.py" header "$1" X-ACM-Milter)
    n=$(printf '%s' "$hdr" | grep -c .)
    check "ACM message has exactly one X-ACM-Milter header (found $n)" test "$n" = 1
    info "X-ACM-Milter: $hdr"
    check "X-ACM-Milter contains 'decision=approve reason=allowlisted'" \
        grep -q 'decision=approve reason=allowlisted' <<<"$hdr"
    out=$("$PY" "$LIB/msgcheck.py" same "$ACM_EML" "$1" X-ACM-Milter)
    check "ACM message: body byte-identical, original headers unchanged${out:+: $out}" test -z "$out"
    printf '%s\n' "$hdr" >"$T/log/x-acm-milter.txt"
}

mta_check_decision() {
    local line pri
    poll 10 grep -q "acm-milter\[[0-9]*\]: $QID_ACM: approval=" "$SYSLOG"
    line=$(grep -E "acm-milter\[[0-9]+\]: $QID_ACM: decision=" "$SYSLOG")
    info "syslog: ${line:-<no decision line for $QID_ACM>}"
    check "syslog sink: 'acm-milter[$MPID]: $QID_ACM: decision=approve reason=allowlisted ...'" \
        grep -qE "acm-milter\[$MPID\]: $QID_ACM: decision=approve reason=allowlisted( |$)" <<<"$line"
    check "syslog sink: exactly one decision line for $QID_ACM" test "$(grep -c . <<<"$line")" = 1
    check "syslog sink: decision line has rcpt=admin@example.com" \
        grep -qE " rcpt=admin@example\.com( |$)" <<<"$line"
    check "syslog sink: decision line has rule=.../tests/data/allowlist:1" \
        grep -qE " rule=[^ ]*allowlist:1( |$)" <<<"$line"
    pri=$(sed -n 's/^<\([0-9]*\)>.*/\1/p' <<<"$line" | head -n1)
    check "syslog sink: decision line logged with facility mail (PRI <${pri:-?}>)" test -n "$pri" -a "$((${pri:-0} >> 3))" = 2
    check "syslog sink: '$QID_ACM: approval=queued' (dry-run)" \
        grep -qE "acm-milter\[$MPID\]: $QID_ACM: approval=queued( |$)" "$SYSLOG"
}

mta_check_quiet() {
    local pm out
    check "syslog sink: no line for someone@example.com's message $QID_ORD" \
        bash -c "! grep -E 'acm-milter\[$MPID\]: ' '$SYSLOG' | grep -qE '(: $QID_ORD: |someone@example\.com)'"
    pm=$(grep -E "acm-milter\[[0-9]+\]: $QID_PM: " "$SYSLOG")
    if [ -n "$pm" ]; then
        info "syslog for postmaster@ ordinary message: $pm"
        check "syslog sink: postmaster@ ordinary message $QID_PM logged as decision=ignore reason=not-acm" \
            grep -qE ": $QID_PM: decision=ignore reason=not-acm( |$)" <<<"$pm"
    else
        info "no syslog line for the ordinary message to postmaster@ ($QID_PM)"
    fi
    # secrets: neither code nor context in syslog, header, stderr
    out=$("$PY" "$LIB/msgcheck.py" grep-secret "$ACM_EML" "$SYSLOG" "$T/log/x-acm-milter.txt" "$T/log/milter.err" "$T/log/milter.out")
    check "approval code/context not in syslog, X-ACM-Milter header or milter output${out:+: $out}" test -z "$out"
}

mta_check_clean_stop() { # mta_check_clean_stop [HOW]
    local stopline desc
    poll 2 grep -qE "acm-milter\[$MPID\]: stopping" "$SYSLOG"
    stopline=$(grep -E "acm-milter\[$MPID\]: stopping" "$SYSLOG")
    if [ -n "$stopline" ]; then desc=${stopline#*]: }; else desc="no 'stopping' line: ended without smfi_main returning"; fi
    check "syslog sink: milter logged a clean stop ($desc${1:+; $1})" grep -q 'stopping.*clean' <<<"$stopline"
}

#!/usr/bin/env python3
"""Per-message latency in one SMTP session (the figure that shows a milter stall).

usage: latency.py HOST PORT COUNT SENDER RCPT (FILE | -SIZE)

Opens one SMTP session, sends COUNT messages over it (MAIL, RCPT, DATA each, one
EHLO), and prints one line:

    n=COUNT median_ms=M p99_ms=P max_ms=X over30=K

where each message's time runs from sending MAIL FROM to the 250 reply to its
end of data, and over30 counts the messages that took longer than 30 ms (the
signature of the Nagle + delayed-ACK stall is ~40 ms). FILE is sent as it is
(CRLF line endings); -SIZE sends a generated message of about SIZE bytes with
From, To, Subject, Date and Message-ID header fields.  Exits 1 when the server
refuses a step.  Prints figures only: no bound is asserted here.  With
LATENCY_ALL=1 in the environment every message's time goes to stderr too.
"""
import os
import smtplib
import sys
import time


def message(arg, sender, rcpt):
    if not arg.startswith("-"):
        with open(arg, "rb") as f:
            data = f.read()
        return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    size = int(arg[1:])
    head = ("From: <%s>\r\nTo: <%s>\r\nSubject: latency test\r\n"
            "Date: Tue, 01 Dec 2026 08:00:00 +0000\r\n"
            "Message-ID: <latency@bench.invalid>\r\n\r\n" % (sender, rcpt)).encode()
    line = b"X" * 78 + b"\r\n"
    body = line * max(1, (size - len(head)) // len(line))
    return head + body


def main():
    if len(sys.argv) != 7:
        sys.stderr.write(__doc__)
        return 2
    host, port, count, sender, rcpt, what = sys.argv[1:]
    data = message(what, sender, rcpt)
    times = []
    with smtplib.SMTP(host, int(port), local_hostname="client.bench.invalid", timeout=120) as s:
        code, resp = s.ehlo()
        if code != 250:
            sys.stderr.write("latency: EHLO: %d %r\n" % (code, resp))
            return 1
        for _ in range(int(count)):
            t0 = time.perf_counter()
            code, resp = s.mail(sender)
            if code != 250:
                sys.stderr.write("latency: MAIL: %d %r\n" % (code, resp))
                return 1
            code, resp = s.rcpt(rcpt)
            if code not in (250, 251):
                sys.stderr.write("latency: RCPT: %d %r\n" % (code, resp))
                return 1
            code, resp = s.data(data)
            if code != 250:
                sys.stderr.write("latency: DATA: %d %r\n" % (code, resp))
                return 1
            times.append((time.perf_counter() - t0) * 1000.0)
    if os.environ.get("LATENCY_ALL"):
        sys.stderr.write(" ".join("%.1f" % t for t in times) + "\n")
    times.sort()
    n = len(times)
    print("n=%d median_ms=%.2f p99_ms=%.2f max_ms=%.2f over30=%d" % (
        n, times[n // 2], times[min(n - 1, (n * 99) // 100)], times[-1],
        sum(1 for t in times if t > 30.0)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Send one saved message over SMTP to Sendmail and print its queue id.

usage: smtp-send.py HOST PORT SENDER RCPT[,RCPT...] FILE

Like tests/e2e/smtp-send.py, but reads the queue id from Sendmail's reply to
DATA ("250 2.0.0 5APEr1aB012345 Message accepted for delivery"); Postfix's
"queued as ID" is accepted too.  The file is sent as it is (line endings
converted to CRLF, dot-stuffing done by smtplib).  Exits 1 with the server's
reply on stderr if any step is refused.
"""
import re
import smtplib
import sys


def main():
    if len(sys.argv) != 6:
        sys.stderr.write("usage: smtp-send.py HOST PORT SENDER RCPT[,RCPT...] FILE\n")
        return 2
    host, port, sender, rcpts, path = sys.argv[1:]
    with open(path, "rb") as f:
        data = f.read()
    data = re.sub(rb"\r?\n", b"\r\n", data)
    try:
        with smtplib.SMTP(host, int(port), local_hostname="client.example.net",
                          timeout=120) as s:
            code, resp = s.ehlo()
            if code != 250:
                raise RuntimeError("EHLO: %d %r" % (code, resp))
            code, resp = s.mail(sender)
            if code != 250:
                raise RuntimeError("MAIL FROM: %d %r" % (code, resp))
            for rcpt in rcpts.split(","):
                code, resp = s.rcpt(rcpt)
                if code not in (250, 251):
                    raise RuntimeError("RCPT TO:<%s>: %d %r" % (rcpt, code, resp))
            code, resp = s.data(data)
            if code != 250:
                raise RuntimeError("DATA: %d %r" % (code, resp))
    except (OSError, smtplib.SMTPException, RuntimeError) as e:
        sys.stderr.write("smtp-send: %s: %s\n" % (path, e))
        return 1
    m = (re.match(rb"(?:[245]\.\d{1,3}\.\d{1,3} )?([0-9A-Za-z]+) Message accepted", resp)
         or re.search(rb"queued as ([0-9A-Za-z]+)", resp))
    if not m:
        sys.stderr.write("smtp-send: %s: no queue id in %r\n" % (path, resp))
        return 1
    print(m.group(1).decode())
    return 0


if __name__ == "__main__":
    sys.exit(main())

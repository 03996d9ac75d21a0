#!/usr/bin/env python3
"""Send one saved message over SMTP and print the queue id the server gave.

usage: smtp-send.py HOST PORT SENDER RCPT[,RCPT...] FILE

The file is sent as it is (line endings converted to CRLF, dot-stuffing done
by smtplib).  Prints the queue id of the reply to DATA on stdout: Postfix's
"250 2.0.0 Ok: queued as ID" or Sendmail's "250 2.0.0 ID Message accepted for
delivery".  Exits 1 with the server's reply on stderr if any step is refused
or the reply names no queue id.
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
    m = (re.search(rb"queued as ([0-9A-Za-z]+)", resp)
         or re.match(rb"(?:[245]\.\d{1,3}\.\d{1,3} )?([0-9A-Za-z]+) Message accepted", resp))
    if not m:
        sys.stderr.write("smtp-send: %s: no queue id in %r\n" % (path, resp))
        return 1
    print(m.group(1).decode())
    return 0


if __name__ == "__main__":
    sys.exit(main())

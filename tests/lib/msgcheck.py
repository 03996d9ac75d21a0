#!/usr/bin/env python3
"""Message checks for the end-to-end test.

usage:
  msgcheck.py header FILE NAME
      print the unfolded value of every NAME: header field of FILE, one a line
  msgcheck.py same FILE_SENT FILE_DELIVERED [IGNORED_FIELD]
      exit 0 if the delivered message is the sent one with only header fields
      prepended (Return-Path, Delivered-To, Received ...) and, if given, any
      IGNORED_FIELD fields removed first; body byte-identical (line endings
      compared as LF).  Otherwise print what differs and exit 1.  The fields
      Postfix's cleanup drops by default (message_drop_headers: Bcc,
      Content-Length, Resent-Bcc, Return-Path) are not expected in the
      delivered copy's original part.
  msgcheck.py grep-secret FILE_SENT FILE...
      print the approval code= and context= values found in FILE_SENT and
      exit 1 if any of them (or the full approval URL) appears in one of the
      FILEs.
"""
import re
import sys


def split(data):
    data = data.replace(b"\r\n", b"\n")
    if not data.endswith(b"\n"):
        data += b"\n"
    if data.startswith(b"\n"):
        return b"", data[1:]
    i = data.find(b"\n\n")
    if i < 0:
        return data, b""
    return data[: i + 1], data[i + 2:]


def fields(header):
    out = []
    for line in header.splitlines(keepends=True):
        if line[:1] in (b" ", b"\t") and out:
            out[-1] += line
        else:
            out.append(line)
    return out


def name_of(field):
    return field.split(b":", 1)[0].strip().lower()


def cmd_header(path, name):
    with open(path, "rb") as f:
        hdr, _ = split(f.read())
    want = name.lower().encode()
    for fld in fields(hdr):
        if name_of(fld) == want:
            value = fld.split(b":", 1)[1]
            value = re.sub(rb"\r?\n[ \t]", b" ", value).strip()
            print(value.decode("utf-8", "replace"))
    return 0


# Postfix 3.7 default message_drop_headers
POSTFIX_DROPPED = {b"bcc", b"content-length", b"resent-bcc", b"return-path"}


def cmd_same(sent, delivered, ignored=None):
    with open(sent, "rb") as f:
        s_hdr, s_body = split(f.read())
    with open(delivered, "rb") as f:
        d_hdr, d_body = split(f.read())
    ok = True
    if s_body != d_body:
        ok = False
        print("body differs: sent %d bytes, delivered %d bytes" % (len(s_body), len(d_body)))
        for n, (a, b) in enumerate(zip(s_body.split(b"\n"), d_body.split(b"\n")), 1):
            if a != b:
                print("  first difference at body line %d:\n    sent:      %r\n    delivered: %r" % (n, a, b))
                break
    s_f = [x for x in fields(s_hdr) if name_of(x) not in POSTFIX_DROPPED]
    d_f = fields(d_hdr)
    if ignored:
        d_f = [x for x in d_f if name_of(x) != ignored.lower().encode()]
    if len(d_f) < len(s_f) or d_f[len(d_f) - len(s_f):] != s_f:
        ok = False
        print("header block differs (beyond prepended trace fields):")
        tail = d_f[len(d_f) - len(s_f):] if len(d_f) >= len(s_f) else d_f
        for a, b in zip(s_f, tail):
            if a != b:
                print("    sent:      %r\n    delivered: %r" % (a, b))
                break
        else:
            print("    sent %d fields, delivered %d fields" % (len(s_f), len(d_f)))
    return 0 if ok else 1


def cmd_grep_secret(sent, files):
    with open(sent, "rb") as f:
        data = f.read()
    # undo quoted-printable soft breaks and =3D so the values are found in QP parts too
    flat = re.sub(rb"=\r?\n", b"", data).replace(b"=3D", b"=")
    secrets = set(re.findall(rb"(?:code|context)=([0-9a-f-]{16,})", flat))
    if not secrets:
        print("no code=/context= value found in %s" % sent)
        return 1
    bad = False
    for path in files:
        with open(path, "rb") as f:
            text = f.read()
        for sec in sorted(secrets):
            if sec in text:
                print("%s contains the secret %s" % (path, sec.decode()))
                bad = True
    return 1 if bad else 0


def main():
    a = sys.argv[1:]
    if len(a) == 3 and a[0] == "header":
        return cmd_header(a[1], a[2])
    if len(a) in (3, 4) and a[0] == "same":
        return cmd_same(*a[1:])
    if len(a) >= 3 and a[0] == "grep-secret":
        return cmd_grep_secret(a[1], a[2:])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())

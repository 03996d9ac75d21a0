#!/usr/bin/env python3
"""Messages and fake-site table of the notice tests (tests/notify/run.sh).

usage: gen_msgs.py OUTDIR

Builds, with tests/data/gen_corpus.py's acm_message() (the documented templates,
Authentication-Results from mx.example.com with dkim=pass header.d=certificates.amazon.com),
and writes into OUTDIR:

  NAME.eml       one message per case (denied: denied-LOCALPART.eml, one per watched address)
  sites.json     the fake approval site's table (see tests/approval/fake_acm.py)
  manifest.tsv   NAME FILE RCPT DOMAIN ARN REQ (REQ: the first 8 hex of sha256(code|context))
  secrets.txt    every code and context, one a line (no notice may contain any of them)

Cases (allowlist: tests/data/allowlist; eu-west-1 certificates of 123456789012 for example.com):
  denied       account 111122223333, not allowlisted, to the five watched addresses (one notice)
  mismatch     www.example.net sent to admin@example.com: domain-mismatch (one notice)
  failed       allowlisted; the site shows another domain: approval=failed (one notice)
  expired      allowlisted; the site says the link expired: approval=expired (one notice)
  happy        allowlisted; approved (no notice)
  forged       not allowlisted and dkim=fail: unauthenticated (no notice)
  capNN        18 more denied requests, for the hourly limit
  after        one more denied request, sent "an hour later"
  failcmd      one more denied request, while NotifyCommand fails
  hang         one more denied request, while NotifyCommand hangs
  hangok       allowlisted, approved while NotifyCommand hangs
  dnsfail      allowlisted; signed at test time, verified by a milter without DNS:
               deny unauthenticated detail=dkim-dns-failure (one notice)
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(HERE, "..", "data"))
import gen_corpus as g  # noqa: E402
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import acmset  # noqa: E402

WATCHED = ["admin", "administrator", "hostmaster", "postmaster", "webmaster"]
OTHER = "111122223333"
AUTHRES_FAIL = ("mx.example.com; dkim=fail header.d=certificates.amazon.com header.s=a1b2",)

CASES = [
    ("denied", "ok", dict(account=OTHER), WATCHED, None),
    ("mismatch", "ok", dict(fqdn="www.example.net"), ["admin"], None),
    ("failed", "mismatch", {}, ["admin"], None),
    ("expired", "expired", {}, ["hostmaster"], None),
    ("happy", "ok", {}, ["admin"], None),
    ("forged", "ok", dict(account=OTHER), ["admin"], AUTHRES_FAIL),
] + [("cap%02d" % i, "ok", dict(account=OTHER), ["admin"], None) for i in range(18)] + [
    ("after", "ok", dict(account=OTHER), ["admin"], None),
    ("failcmd", "ok", dict(account=OTHER), ["admin"], None),
    ("hang", "ok", dict(account=OTHER), ["admin"], None),
    ("hangok", "ok", {}, ["admin"], None),
    ("dnsfail", "ok", {}, ["admin"], None),
]


def main():
    out = acmset.args_out(__doc__)
    if out is None:
        return 2
    sites, manifest, secrets = {}, [], []
    for idx, (name, behaviour, over, rcpts, authres) in enumerate(CASES):
        stem, kw, f = acmset.request(sites, secrets, "notify-test", name, behaviour, **over)
        req = acmset.spool_key(f.code, f.context)[:8]
        extra = {} if authres is None else dict(authres=authres)
        for fname, rcpt in acmset.write_messages(out, name, stem, 300 + idx, kw, rcpts, **extra):
            manifest.append("\t".join([name, fname, rcpt, f.fqdn, f.arn, req]))
    acmset.write_set(out, sites, manifest, secrets)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Messages and fake-site table of the approval tests.

usage: gen_msgs.py OUTDIR

Builds, with tests/data/gen_corpus.py's acm_message() (the documented templates, headers as ACM
sends them, Authentication-Results from mx.example.com with dkim=pass
header.d=certificates.amazon.com, From no-reply@certificates.amazon.com, context tail = hex of the
region), one ACM validation message per case and writes into OUTDIR:

  NAME.eml          the message (dup: dup-LOCALPART.eml, one per watched address)
  sites.json        the fake site's table: code -> {name, context, domain, account, region, arn,
                    behaviour} (the behaviour of each case, see fake_acm.py)
  manifest.tsv      NAME FILE RCPT DOMAIN ARN KEY BEHAVIOUR, one line per message
                    (KEY = sha256 hex of "code|context", the spool file name)
  secrets.txt       every code and context, one a line (for the no-secret-in-logs checks)
  selftest.url      path+query of the fake's self-test entry (for curl; never sent by mail)

Codes and contexts are derived from the case names (deterministic), distinct from the corpus ones.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in tests/data
sys.path.insert(0, os.path.join(HERE, "..", "data"))
import gen_corpus as g  # noqa: E402
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import acmset  # noqa: E402

WATCHED = ["admin", "administrator", "hostmaster", "postmaster", "webmaster"]

# name, behaviour, fields overrides, recipients
#   allowlisted unless said: eu-west-1 certificates of 123456789012 for *.example.com (rule 2),
#   "happy" uses the single us-east-1 certificate of rule 1.
CASES = [
    ("happy", "ok", dict(region="us-east-1", cert=g.CERT, fqdn="www.example.com"), ["admin"]),
    ("dup", "ok", {}, WATCHED),
    ("denied", "ok", dict(account="111122223333"), ["admin"]),          # not allowlisted
    ("mismatch", "mismatch", {}, ["hostmaster"]),                       # page: other domain
    ("mismatch-account", "mismatch-account", {}, ["admin"]),            # page: other account
    ("expired", "expired", {}, ["admin"]),
    ("unknown", "unknown", {}, ["admin"]),
    ("already", "already", {}, ["postmaster"]),
    ("fail-once", "fail-once", {}, ["admin"]),
    ("hang", "hang", {}, ["admin"]),
    ("redirect", "redirect", {}, ["admin"]),
    ("oversized", "oversized", {}, ["webmaster"]),
    ("nosuccess", "nosuccess", {}, ["admin"]),
    # the second page layout (fake_acm.py "v2..."): hidden named fields, absolute action
    ("v2", "v2", {}, ["admin"]),                                        # labels + fields agree
    ("v2-formonly", "v2-formonly", {}, ["admin"]),                      # fields only
    ("v2-twobuttons", "v2-twobuttons", {}, ["admin"]),                  # + REJECTED, same name
    ("v2-field-account", "v2-field-account", {}, ["admin"]),            # labels right, one
    ("v2-field-region", "v2-field-region", {}, ["admin"]),              #   form field naming
    ("v2-field-domain", "v2-field-domain", {}, ["admin"]),              #   something else
    ("v2-field-cert", "v2-field-cert", {}, ["admin"]),
    ("v2-field-arn", "v2-field-arn", {}, ["admin"]),
    ("v2-refetch", "v2-refetch", {}, ["admin"]),                        # no marker, then already
    ("v2-norefetch", "v2-norefetch", {}, ["admin"]),                    # no marker, not approved
    ("v2-redirect", "v2-redirect", {}, ["admin"]),                      # 303 after the POST
    ("v2-unknown", "v2-unknown", {}, ["admin"]),                        # no form (script button)
    ("v2-js", "v2-js", {}, ["admin"]),                                  # JavaScript-only page
    ("v2-evilaction", "v2-evilaction", {}, ["admin"]),                  # action on evil.example
    ("v2-already-other", "v2-already-other", {}, ["admin"]),            # "already", other account
    ("v2-markup", "v2-markup", {}, ["admin"]),                          # dl/label/&nbsp;/<wbr>
    ("v2-if-already", "v2-if-already", {}, ["admin"]),                  # "If you have already..."
    ("v2-backslash", "v2-backslash", {}, ["admin"]),                    # action \\evil.example\...
    ("v2-gzip", "v2-gzip", {}, ["admin"]),                              # gzip whatever was asked
    ("v2-textplain", "v2-textplain", {}, ["admin"]),                    # served as text/plain
    ("v2-answer-other", "v2-answer-other", {}, ["admin"]),              # "Success!", other account
    ("v2-hidden-success", "v2-hidden-success", {}, ["admin"]),          # hidden "Success!"
    ("wrongca", "ok", {}, ["admin"]),
    ("killed", "ok", {}, ["administrator"]),
    ("dryrun", "ok", {}, ["admin"]),
    ("v2-charset", "v2-charset", {}, ["admin"]),                        # served as ISO-2022-JP
]


def main():
    out = acmset.args_out(__doc__)
    if out is None:
        return 2
    sites, manifest, secrets = {}, [], []
    # the fake's self-test entry (curl only)
    st_code = g.fake_uuid("approval-test selftest/code")
    st_ctx = g.fake_uuid("approval-test selftest/context") + "-" + g.hexregion("us-east-1")
    sites[st_code] = dict(name="selftest", context=st_ctx, domain="www.example.com",
                          account=g.ACCOUNT, region="us-east-1", arn=g.ARN_US, behaviour="ok")
    secrets += [st_code, st_ctx]
    with open(os.path.join(out, "selftest.url"), "w") as f:
        f.write("/approvals?code=%s&context=%s\n" % (st_code, st_ctx))
    for idx, (name, behaviour, over, rcpts) in enumerate(CASES):
        stem, kw, f = acmset.request(sites, secrets, "approval-test", name, behaviour, **over)
        key = acmset.spool_key(f.code, f.context)
        for fname, rcpt in acmset.write_messages(out, name, stem, 100 + idx, kw, rcpts):
            manifest.append("\t".join([name, fname, rcpt, f.fqdn, f.arn, key, behaviour]))
    acmset.write_set(out, sites, manifest, secrets)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""ACM messages and fake-site table for the soak and fault tests.

usage: gen_soak.py OUTDIR NAME...

For each NAME (a DNS label, e.g. soak-3), builds with tests/data/gen_corpus.py's acm_message()
one approve-worthy ACM validation message to admin@example.com: domain NAME.example.com, region
eu-west-1, account 123456789012, a certificate id derived from NAME (allowlisted by rule 2 of
tests/data/allowlist), Authentication-Results from mx.example.com with dkim=pass for
certificates.amazon.com (SenderAuth authres, TrustedAuthservIDs mx.example.com). Lines end in LF
(smtp-source -F appends CRLF itself). Each NAME is a distinct request (its own code and context).

Writes into OUTDIR:
  NAME.eml        the message
  sites.json      tests/approval/fake_acm.py's table, behaviour "ok" for every NAME
  manifest.tsv    NAME FILE RCPT DOMAIN ARN KEY (KEY = sha256 hex of "code|context")
  secrets.txt     every code and context, one a line
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in tests/data
sys.path.insert(0, os.path.join(HERE, "..", "data"))
import gen_corpus as g  # noqa: E402
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import acmset  # noqa: E402


def main():
    if len(sys.argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    out, names = sys.argv[1], sys.argv[2:]
    os.makedirs(out, exist_ok=True)
    sites, manifest, secrets = {}, [], []
    for idx, name in enumerate(names):
        stem, kw, f = acmset.request(sites, secrets, "soak-test", name)
        rcpt = "admin@example.com"
        data, _ = g.acm_message(stem, 300 + idx, fields=kw, to=rcpt, eol="\n")
        fname = name + ".eml"
        with open(os.path.join(out, fname), "wb") as fh:
            fh.write(data)
        key = acmset.spool_key(f.code, f.context)
        manifest.append("\t".join([name, fname, rcpt, f.fqdn, f.arn, key]))
    acmset.write_set(out, sites, manifest, secrets)
    return 0


if __name__ == "__main__":
    sys.exit(main())

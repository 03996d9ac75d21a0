"""The files of a set of ACM requests made at test time (tests/approval/gen_msgs.py,
tests/soak/gen_soak.py, tests/notify/gen_msgs.py), in the form the shell suites and the fake
approval site (tests/approval/fake_acm.py) read.

Contract: request(sites, secrets, prefix, name, behaviour, **over) makes the fields of one
request (tests/data/gen_corpus.py's Fields: NAME.example.com in eu-west-1, a certificate id
derived from PREFIX and NAME, OVER replacing any of them), enters it in the fake site's table
SITES with its behaviour and its code and context in SECRETS, and returns (stem, kw, fields)
for gen_corpus.acm_message(stem, n, fields=kw, ...). write_messages(out, name, stem, n, kw,
rcpts, **extra) writes that request's message once per recipient local part (to
LOCAL@example.com; file NAME.eml, or NAME-LOCAL.eml when there are several) and returns
[(file name, recipient)]. args_out(doc) is a generator's command line: the folder it writes
(made here), or None after printing doc. spool_key(code, context) is the daemon's
spool key of a request (sha256 of "code|context", hex); write_set(out, sites, manifest,
secrets) writes into the folder out:
sites.json (the fake site's table, code -> site; renamed into place, so the fake never reads
half a table), manifest.tsv (one tab-separated line per message) and secrets.txt (every code
and context, one a line, for the no-secret-in-any-log checks). Standard library only.
"""
import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data"))
import gen_corpus as g  # noqa: E402


def request(sites, secrets, prefix, name, behaviour="ok", **over):
    stem = prefix + " " + name
    kw = dict(fqdn=name + ".example.com", region="eu-west-1",
              cert=g.fake_uuid(prefix + " cert " + name))
    kw.update(over)
    f = g.Fields(stem, **kw)
    sites[f.code] = dict(name=name, context=f.context, domain=f.fqdn, account=f.account,
                         region=f.region, arn=f.arn, behaviour=behaviour)
    secrets += [f.code, f.context]
    return stem, kw, f


def write_messages(out, name, stem, n, kw, rcpts, **extra):
    made = []
    for local in rcpts:
        rcpt = local + "@example.com"
        data, _ = g.acm_message(stem, n, fields=kw, to=rcpt, **extra)
        fname = (name + "-" + local if len(rcpts) > 1 else name) + ".eml"
        with open(os.path.join(out, fname), "wb") as fh:
            fh.write(data)
        made.append((fname, rcpt))
    return made


def args_out(doc):
    if len(sys.argv) != 2:
        sys.stderr.write(doc)
        return None
    os.makedirs(sys.argv[1], exist_ok=True)
    return sys.argv[1]


def spool_key(code, context):
    return hashlib.sha256((code + "|" + context).encode()).hexdigest()


def write_set(out, sites, manifest, secrets):
    tmp = os.path.join(out, "sites.json.tmp")
    with open(tmp, "w") as fh:
        json.dump(sites, fh, indent=1, sort_keys=True)
    os.rename(tmp, os.path.join(out, "sites.json"))
    with open(os.path.join(out, "manifest.tsv"), "w") as fh:
        fh.write("\n".join(manifest) + "\n")
    with open(os.path.join(out, "secrets.txt"), "w") as fh:
        fh.write("\n".join(secrets) + "\n")

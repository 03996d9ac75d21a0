#!/usr/bin/env python3
"""Spool entries and the fake site's table for tests/spool/run.sh (standard library only).

usage: mkspool.py sites FILE NAME=BEHAVIOUR...   write the fake site's JSON table for these cases
       mkspool.py key NAME                       print the entry key of case NAME
       mkspool.py entry NAME [FIELD=VALUE...]    print the entry file of case NAME, as acm-milter
                                                 writes it, with FIELD replaced (or added)

Every case NAME has its own code and context (derived from the name), domain NAME.example.com,
account 123456789012, region eu-west-1 and an ARN allowlisted by tests/data/allowlist. The key
is the SHA-256 hex of "code|context", the entry's file name is KEY.req.
"""
import hashlib
import json
import sys
import time
import uuid

ACCOUNT = "123456789012"
REGION = "eu-west-1"


def fake_uuid(seed):
    return str(uuid.UUID(hashlib.sha256(seed.encode()).hexdigest()[:32]))


def case(name):
    code = fake_uuid("spool-test code " + name)
    context = fake_uuid("spool-test context " + name) + "-" + REGION.encode().hex()
    return dict(name=name, code=code, context=context, domain=name + ".example.com",
                account=ACCOUNT, region=REGION,
                arn="arn:aws:acm:%s:%s:certificate/%s" % (REGION, ACCOUNT,
                                                           fake_uuid("spool-test cert " + name)))


def key(c):
    return hashlib.sha256((c["code"] + "|" + c["context"]).encode()).hexdigest()


def entry(c, changes):
    now = int(time.time())
    fields = [("version", "1"), ("key", key(c)), ("state", "pending"), ("created", str(now)),
              ("updated", str(now)), ("next", str(now)), ("attempts", "0"),
              ("qid", "SPOOL" + c["name"].upper().replace("-", "")[:20]),
              ("domain", c["domain"]), ("requested_domain", ""), ("account", c["account"]),
              ("region", c["region"]), ("arn", c["arn"]), ("code", c["code"]),
              ("context", c["context"]), ("detail", "")]
    out = []
    done = set()
    for k, v in fields:
        if k in changes:
            v = changes[k]
            done.add(k)
        out.append("%s=%s\n" % (k, v))
    for k, v in changes.items():
        if k not in done:
            out.append("%s=%s\n" % (k, v))
    return "".join(out)


def main(argv):
    if len(argv) >= 3 and argv[1] == "sites":
        table = {}
        for spec in argv[3:]:
            name, behaviour = spec.split("=", 1)
            c = case(name)
            table[c["code"]] = dict(name=name, context=c["context"], domain=c["domain"],
                                    account=c["account"], region=c["region"], arn=c["arn"],
                                    behaviour=behaviour)
        with open(argv[2] + ".tmp", "w") as f:
            json.dump(table, f, indent=1)
        import os
        os.replace(argv[2] + ".tmp", argv[2])
        return 0
    if len(argv) == 3 and argv[1] == "key":
        print(key(case(argv[2])))
        return 0
    if len(argv) >= 3 and argv[1] == "entry":
        changes = dict(a.split("=", 1) for a in argv[3:])
        sys.stdout.write(entry(case(argv[2]), changes))
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))

#!/usr/bin/env python3
"""Query the fake ACM site's request log (JSON lines written by fake_acm.py).

usage: fakelog.py LOG count [FILTER...]     print how many records match every FILTER
       fakelog.py LOG show  [FILTER...]     print the matching records, one a line
       fakelog.py LOG times [FILTER...]     print the time (epoch seconds) of each matching record
       fakelog.py LOG span  NAME            print seconds from the hang request of NAME to the
                                            end of that connection ("hang-end"), or "none"
FILTER is KEY=VALUE (VALUE is JSON if it parses as JSON: true, false, null, numbers; else a
string), KEY!=VALUE, KEY~SUBSTRING, or t>=EPOCH (records at or after a time).
"""
import json
import sys


def parse_value(v):
    try:
        return json.loads(v)
    except ValueError:
        return v


def matcher(filters):
    tests = []
    for f in filters:
        if f.startswith("t>="):
            lim = float(f[3:])
            tests.append(lambda r, lim=lim: r.get("t", 0) >= lim)
        elif "!=" in f:
            k, v = f.split("!=", 1)
            tests.append(lambda r, k=k, v=parse_value(v): r.get(k) != v)
        elif "~" in f and ("=" not in f or f.index("~") < f.index("=")):
            k, v = f.split("~", 1)
            tests.append(lambda r, k=k, v=v: v in str(r.get(k, "")))
        else:
            k, v = f.split("=", 1)
            tests.append(lambda r, k=k, v=parse_value(v): r.get(k) == v)
    return lambda r: all(t(r) for t in tests)


def records(path):
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                try:
                    yield json.loads(line)
                except ValueError:
                    continue
    except OSError:
        return


def main():
    a = sys.argv[1:]
    if len(a) < 2:
        sys.stderr.write(__doc__)
        return 2
    path, cmd, rest = a[0], a[1], a[2:]
    if cmd in ("count", "show", "times"):
        m = matcher(rest)
        hits = [r for r in records(path) if m(r)]
        if cmd == "count":
            print(len(hits))
        elif cmd == "times":
            for r in hits:
                print("%.3f" % r.get("t", 0))
        else:
            for r in hits:
                print(json.dumps(r, sort_keys=True))
        return 0
    if cmd == "span" and len(rest) == 1:
        start = None
        for r in records(path):
            if r.get("event") == "request" and r.get("name") == rest[0] and r.get("behaviour") == "hang":
                start = r["t"]
            elif r.get("event") == "hang-end" and r.get("name") == rest[0] and start is not None:
                print("%.1f %s" % (r["t"] - start, r.get("reason")))
                return 0
        print("none")
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())

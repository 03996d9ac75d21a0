#!/usr/bin/env python3
"""Table of bench/run.sh's results file.

usage: report.py RESULTS HOSTINFO VERSIONS [VOID]

RESULTS lines (written by run.sh):
  tput CONFIG KIND PASS MESSAGES SECONDS CPU_TICKS HZ
  lat  CONFIG KIND n=N median_ms=M p99_ms=P max_ms=X over30=K dacks=D
  ir   MILTER KIND MESSAGES INSTRUCTIONS
Prints, per kind of mail and configuration: msg/s median (min..max) and its ratio to no
milter; the milter's CPU ms per 1,000 messages median (min..max) and its ratios to the
connect floor's (/floor: the price of any milter) and to the protocol floor's (/proto: the
same exchange with the MTA as acm-milter, none of its work) on the same socket; latency in
one session (median, max, messages over 30 ms, delayed-ACK timer expiries per message);
instructions per message (callgrind, unix socket) and the same two ratios; and acm-milter's
own work per message: its CPU over the protocol floor's.
"""
import statistics
import sys
from collections import defaultdict

CONFIGS = ["none", "floor/unix", "pfloor/unix", "acm/unix", "opendkim/unix",
           "floor/inet", "pfloor/inet", "acm/inet", "opendkim/inet"]
KINDS = ["ordinary", "watched", "acm"]
NAMES = {"none": "no milter", "floor": "floor", "pfloor": "proto floor", "acm": "acm-milter",
         "opendkim": "OpenDKIM"}


ROW = "%-8s %-19s %-22s %6s %-22s %7s %7s %18s %6s %6s %11s %7s %7s"


def label(cfg):
    if cfg == "none":
        return "no milter"
    name, sock = cfg.split("/")
    return "%s %s" % (NAMES[name], sock)


def fmt_range(vals, fmt):
    if not vals:
        return "-"
    return ("%s (%s..%s)" % (fmt, fmt, fmt)) % (statistics.median(vals), min(vals), max(vals))


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "-"
    return "%.2f" % (a / b)


def main():
    if len(sys.argv) < 4:
        sys.stderr.write(__doc__)
        return 2
    rate = defaultdict(list)
    cpu = defaultdict(list)
    lat = {}
    ir = {}
    with open(sys.argv[1]) as f:
        for line in f:
            w = line.split()
            if not w:
                continue
            if w[0] == "tput":
                cfg, kind, n, secs, ticks, hz = w[1], w[2], int(w[4]), float(w[5]), int(w[6]), int(w[7])
                rate[cfg, kind].append(n / secs)
                if cfg != "none":
                    cpu[cfg, kind].append(ticks * 1000.0 / hz * 1000.0 / n)
            elif w[0] == "lat":
                lat[w[1], w[2]] = dict(kv.split("=") for kv in w[3:])
            elif w[0] == "ir":
                n, total = int(w[3]), int(w[4])
                ir[w[1], w[2]] = total / n if n and total else None
    passes = max((len(v) for v in rate.values()), default=0)
    # the configurations this run measured (callgrind runs over the unix socket)
    present = {c for c, _ in rate} | {c for c, _ in lat} | {m + "/unix" for m, _ in ir}
    print("acm-milter comparative benchmark%s" % (
        "  *** VOID: a milter was bypassed, see above ***" if len(sys.argv) > 4 else ""))
    print("machine: %s" % sys.argv[2])
    print("versions: %s" % sys.argv[3])
    print("msg/s: smtp-source, 10 sessions, %d passes in ABBA order, median (min..max); "
          "CPU: the milter process's utime+stime per 1,000 messages (10 ms ticks);" % passes)
    print("latency: one SMTP session, ms per message; dACK: delayed-ACK timer expiries per message "
          "(a stall: about 1 or more above no milter); instructions: callgrind, unix socket, "
          "whole milter process. msg/s is noisy on a shared machine, instructions are not.")
    for kind in KINDS:
        print()
        print(ROW % (
            kind, "configuration", "msg/s", "/none", "milter CPU ms/1000",
            "/floor", "/proto", "latency med..max", ">30ms", "dACK", "instr/msg", "/floor",
            "/proto"))
        med = {c: statistics.median(rate[c, kind]) if rate[c, kind] else None for c in CONFIGS}
        cmed = {c: statistics.median(cpu[c, kind]) if cpu[c, kind] else None for c in CONFIGS}
        for cfg in CONFIGS:
            if cfg not in present:
                continue   # a configuration left out of this run (BENCH_CONFIGS)
            sock = cfg.split("/")[1] if "/" in cfg else None
            floor = "floor/" + sock if sock else None
            proto = "pfloor/" + sock if sock else None
            name = cfg.split("/")[0]
            l = lat.get((cfg, kind))
            ltxt = "%s..%s" % (l["median_ms"], l["max_ms"]) if l else "-"
            over = l["over30"] if l else "-"
            dack = "%.2f" % (int(l["dacks"]) / int(l["n"])) if l and "dacks" in l else "-"
            i = ir.get((name, kind)) if sock == "unix" else None
            ifloor = ir.get(("floor", kind)) if sock == "unix" else None
            iproto = ir.get(("pfloor", kind)) if sock == "unix" else None
            print(ROW % (
                "", label(cfg), fmt_range(rate[cfg, kind], "%.0f"), ratio(med[cfg], med["none"]),
                fmt_range(cpu[cfg, kind], "%.0f") if cfg != "none" else "-",
                ratio(cmed[cfg], cmed.get(floor)) if floor else "-",
                ratio(cmed[cfg], cmed.get(proto)) if proto else "-",
                ltxt, over, dack, "{:,.0f}".format(i) if i else "-", ratio(i, ifloor),
                ratio(i, iproto)))
    # what an operator pays for acm-milter itself: its CPU over the protocol floor's, which is
    # the exchange with the MTA that any milter taking the same steps pays
    own = []
    for sock in ("unix", "inet"):
        parts = []
        for kind in KINDS:
            a, p = cpu["acm/" + sock, kind], cpu["pfloor/" + sock, kind]
            if a and p:
                am, pm = statistics.median(a), statistics.median(p)
                parts.append("%s %.2f of %.2f" % (kind, (am - pm) / 1000, am / 1000))
        if parts:
            own.append("  %s: %s" % (sock, ", ".join(parts)))
    if own:
        print()
        print("acm-milter's own work, ms of CPU per message (its CPU over the protocol floor's, "
              "medians) of its whole CPU per message:")
        for x in own:
            print(x)
    stalls, slow = [], []
    for kind in KINDS:
        base = lat.get(("none", kind))
        for cfg in CONFIGS[1:]:
            l = lat.get((cfg, kind))
            if not l or not base:
                continue
            if "dacks" in l and "dacks" in base and \
                    (int(l["dacks"]) - int(base["dacks"])) / int(l["n"]) >= 0.5:
                stalls.append("%s/%s: %.2f delayed ACKs per message (no milter %.2f), median %s ms" % (
                    label(cfg), kind, int(l["dacks"]) / int(l["n"]),
                    int(base["dacks"]) / int(base["n"]), l["median_ms"]))
            if int(l["over30"]) > 0 and int(base["over30"]) == 0:
                slow.append("%s/%s: %s of %s" % (label(cfg), kind, l["over30"], l["n"]))
    print()
    if stalls:
        print("STALLS (the milter's exchanges wait for delayed ACKs):")
        for x in stalls:
            print("  " + x)
    else:
        print("no stall: no configuration waits for delayed ACKs (within 0.5 per message of no milter)")
    if slow:
        print("messages over 30 ms where no milter had none (the machine's load, unless a stall "
              "is shown above): " + "; ".join(slow))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Memory under a flood: N concurrent sessions, each one message of about SIZE bytes, straight
over the milter protocol (no MTA), against a running acm-milter; prints the daemon's peak and
idle resident memory. Standard library only.

usage: memflood.py SOCKET PID [--sessions 200] [--size 1044480] [--floods 3] [--idle 3]
                                [--term] [--hold]

Each message looks like an ACM validation message at end of headers (From
no-reply@certificates.amazon.com, an ACM Subject, text/plain), so the milter must buffer its
body, and goes to a watched recipient. All sessions send their headers and body first, then
wait for each other, then send end of message together: every body is buffered at once (the
worst case). Before each flood the peak (VmHWM) is reset through /proc/PID/clear_refs. After
each flood, once every session ended, it waits IDLE seconds and reads VmRSS.

--term: once every body is in, SIGTERM the daemon, then send end of message (one flood): the
sessions in progress must still get their answers. --hold: never send end of message (the
daemon must cut them after its grace time). Both print "term: answered=N cut=N".

Output, one line per flood then a summary (kB):
  flood=1 sessions=200 accepted=200 busy=N peak_kb=... idle_kb=...
  memory: peak_kb=MAX idle_first_kb=... idle_last_kb=... idle_growth_pct=...
Exit status 0 when every session got an answer to end of message, 1 otherwise.
"""
import argparse
import socket
import struct
import sys
import threading
import time

SMFIF_ADDHDRS, SMFIF_CHGHDRS = 0x01, 0x10
SMFIP_SKIP = 0x400


def packet(cmd, data=b""):
    return struct.pack("!I", len(data) + 1) + cmd + data


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError("milter closed the connection")
        buf += chunk
    return buf


def reply(s):
    (n,) = struct.unpack("!I", recv_exact(s, 4))
    data = recv_exact(s, n)
    return data[:1], data[1:]


def final(s):
    """Reads replies until one that ends the step (modifications and progress come first)."""
    while True:
        cmd, data = reply(s)
        if cmd in (b"h", b"m", b"p", b"i", b"+", b"-", b"e", b"b", b"q", b"f", b"y"):
            continue
        return cmd


def session(sock_path, i, size, barrier, results, hold=False, released=None):
    res = {"eom": None, "busy": False}
    results[i] = res
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(300)
        s.connect(sock_path)
        s.sendall(packet(b"O", struct.pack("!III", 6, SMFIF_ADDHDRS | SMFIF_CHGHDRS, SMFIP_SKIP)))
        cmd, data = reply(s)
        if cmd != b"O":
            raise RuntimeError("negotiation answered %r" % cmd)
        qid = b"FLOOD%05d" % i
        s.sendall(packet(b"D", b"C" + b"i\0" + qid + b"\0"))
        s.sendall(packet(b"C", b"localhost\0" + b"4" + struct.pack("!H", 25) + b"127.0.0.1\0"))
        if final(s) not in (b"c",):
            raise RuntimeError("connect refused")
        s.sendall(packet(b"H", b"flood.example\0"))
        final(s)
        s.sendall(packet(b"M", b"<no-reply@certificates.amazon.com>\0"))
        final(s)
        s.sendall(packet(b"R", b"<admin@example.com>\0"))
        final(s)
        s.sendall(packet(b"T"))
        if final(s) != b"c":
            raise RuntimeError("not buffered: DATA answered otherwise")
        headers = [(b"From", b"Amazon Certificates <no-reply@certificates.amazon.com>"),
                   (b"To", b"admin@example.com"),
                   (b"Subject", b"Certificate approval for www.example.com"),
                   (b"Message-ID", b"<flood-%d@example.com>" % i),
                   (b"MIME-Version", b"1.0"),
                   (b"Content-Type", b"text/plain; charset=UTF-8")]
        for k, v in headers:
            s.sendall(packet(b"L", k + b"\0" + v + b"\0"))
            final(s)
        s.sendall(packet(b"N"))
        if final(s) != b"c":
            raise RuntimeError("decided at end of headers")
        line = b"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod %06d\r\n" % i
        body = (line * (size // len(line) + 1))[:size]
        skipped = False
        for off in range(0, len(body), 65535):
            s.sendall(packet(b"B", body[off:off + 65535]))
            r = final(s)
            if r == b"s":
                skipped = True
                break
        res["skipped"] = skipped
        barrier.wait(timeout=300)
        if released is not None:
            released.wait(300)
        if hold:
            try:
                s.recv(1)   # until the daemon closes the connection
            except OSError:
                pass
            res["cut"] = True
            return
        s.sendall(packet(b"E"))
        res["eom"] = final(s)
        s.sendall(packet(b"Q"))
        s.close()
    except Exception as e:  # noqa: BLE001 - reported, counted as a failure
        res["error"] = str(e)
        try:
            barrier.abort()
        except Exception:
            pass


def status(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return -1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("socket")
    ap.add_argument("pid", type=int)
    ap.add_argument("--sessions", type=int, default=200)
    ap.add_argument("--size", type=int, default=1044480)
    ap.add_argument("--floods", type=int, default=3)
    ap.add_argument("--idle", type=float, default=3.0)
    ap.add_argument("--term", action="store_true")
    ap.add_argument("--hold", action="store_true")
    a = ap.parse_args()
    if a.term or a.hold:
        import os
        import signal
        barrier = threading.Barrier(a.sessions + 1)
        released = threading.Event()
        results = [None] * a.sessions
        threads = [threading.Thread(target=session, args=(a.socket, i, a.size, barrier, results,
                                                          a.hold, released))
                   for i in range(a.sessions)]
        for t in threads:
            t.start()
        barrier.wait(timeout=300)
        os.kill(a.pid, signal.SIGTERM)
        time.sleep(0.2)   # the stop has begun: the listener is closed, these are in progress
        released.set()
        for t in threads:
            t.join()
        answered = sum(1 for r in results if r and r.get("eom") == b"a")
        cut = sum(1 for r in results if r and (r.get("cut") or r.get("error")))
        print("term: answered=%d cut=%d" % (answered, cut))
        return 0
    peaks, idles, ok = [], [], True
    print("memory: before any flood rss_kb=%d" % status(a.pid, "VmRSS"))
    for n in range(1, a.floods + 1):
        with open("/proc/%d/clear_refs" % a.pid, "w") as f:
            f.write("5\n")   # resets VmHWM to the current RSS
        barrier = threading.Barrier(a.sessions)
        results = [None] * a.sessions
        threads = [threading.Thread(target=session, args=(a.socket, i, a.size, barrier, results))
                   for i in range(a.sessions)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        peak = status(a.pid, "VmHWM")
        errors = [r.get("error") for r in results if r and r.get("error")]
        answered = sum(1 for r in results if r and r.get("eom"))
        skipped = sum(1 for r in results if r and r.get("skipped"))
        time.sleep(a.idle)
        idle = status(a.pid, "VmRSS")
        peaks.append(peak)
        idles.append(idle)
        print("flood=%d sessions=%d answered=%d skipped=%d errors=%d peak_kb=%d idle_kb=%d"
              % (n, a.sessions, answered, skipped, len(errors), peak, idle))
        if errors:
            print("  first error: %s" % errors[0])
        if answered != a.sessions:
            ok = False
    growth = 100.0 * (idles[-1] - idles[0]) / idles[0] if idles and idles[0] > 0 else 0.0
    print("memory: peak_kb=%d idle_first_kb=%d idle_last_kb=%d idle_growth_pct=%.1f"
          % (max(peaks), idles[0], idles[-1], growth))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

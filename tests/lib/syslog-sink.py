#!/usr/bin/env python3
"""Tiny syslog sink for the end-to-end test.

usage: syslog-sink.py SOCKET OUTFILE READYFILE

Binds a unix datagram socket at SOCKET (mode 0666, like /dev/log), appends
every datagram it receives to OUTFILE as one line (trailing NUL/newlines
stripped, embedded newlines escaped as \\n), and writes its pid to READYFILE
once it is ready.  SIGTERM/SIGINT stop it; it then removes SOCKET if SOCKET
is still the socket it created.
"""
import os
import signal
import socket
import sys


def main():
    if len(sys.argv) != 4:
        sys.stderr.write("usage: syslog-sink.py SOCKET OUTFILE READYFILE\n")
        return 2
    path, out, ready = sys.argv[1:]

    def stop(_signum, _frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    ident = None
    try:
        os.chmod(path, 0o666)
        st = os.stat(path)
        ident = (st.st_dev, st.st_ino)
        with open(out, "ab", buffering=0) as f:
            tmp = ready + ".tmp"
            with open(tmp, "w") as r:
                r.write("%d\n" % os.getpid())
            os.rename(tmp, ready)
            while True:
                data = sock.recv(65536)
                data = data.rstrip(b"\0\r\n").replace(b"\n", b"\\n")
                f.write(data + b"\n")
    finally:
        try:
            st = os.stat(path)
            if ident == (st.st_dev, st.st_ino):
                os.unlink(path)
        except OSError:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""A tarpit on 127.0.0.1:PORT: every connection is answered one byte a second
(--mode drip) or never (--mode silent). Runs --seconds, then prints how many
connections it accepted: connections=N."""
import argparse, select, socket, time
ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--mode", choices=["drip", "silent"], default="drip")
ap.add_argument("--seconds", type=float, default=30)
a = ap.parse_args()
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", a.port))
ls.listen(64)
conns, n, until, tick = [], 0, time.monotonic() + a.seconds, time.monotonic()
while time.monotonic() < until:
    r, _, _ = select.select([ls] + conns, [], [], 0.2)
    for s in r:
        if s is ls:
            c, _ = ls.accept()
            conns.append(c)
            n += 1
        else:
            try:
                if not s.recv(4096):
                    conns.remove(s); s.close()
            except OSError:
                conns.remove(s); s.close()
    if a.mode == "drip" and time.monotonic() - tick >= 1:
        tick = time.monotonic()
        for s in list(conns):
            try:
                s.send(b"\x16")  # the start of a TLS record, never finished
            except OSError:
                conns.remove(s); s.close()
print(f"connections={n}", flush=True)

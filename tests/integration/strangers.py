#!/usr/bin/env python3
"""Strangers at the peer port: each worker holds a TCP connection to
127.0.0.1:PORT from its source address (127.0.0.0/8 only), either dripping a
TLS record that announces 16 KiB one byte a second ("drip") or sending nothing
("idle"); when the server drops it, it measures how long it was held and
connects again. Bounded: --seconds in all and --max-conns per worker.
With --http it drips an HTTP request line and header instead (the page's port).
Prints one line: connections=N dropped=N max_hold_ms=N refused=N."""
import argparse, select, socket, threading, time

def worker(port, src, drip, until, max_conns, stats, lock, http=False):
    for _ in range(max_conns):
        if time.monotonic() >= until:
            return
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((src, 0))
        s.settimeout(2)
        try:
            s.connect(("127.0.0.1", port))
        except OSError:
            with lock:
                stats["refused"] += 1
            s.close()
            time.sleep(0.1)
            continue
        start = time.monotonic()
        dropped = False
        # a TLS handshake record header announcing 16 KiB, then one byte a second
        pending = (b"GET / HTTP/1.1\r\n" if http else b"\x16\x03\x01\x40\x00") if drip else b""
        try:
            while time.monotonic() < until:
                if pending:
                    s.send(pending[:1] if len(pending) > 5 else pending)
                    pending = (b"X" if http else b"\x01") * 64
                r, _, _ = select.select([s], [], [], 1.0)
                if r and not s.recv(4096):
                    dropped = True
                    break
        except OSError:
            dropped = True
        held = int((time.monotonic() - start) * 1000)
        s.close()
        with lock:
            stats["connections"] += 1
            if dropped:
                stats["dropped"] += 1
                stats["max_hold_ms"] = max(stats["max_hold_ms"], held)
            else:
                stats["undropped"] += 1

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--drip", type=int, default=8)
    ap.add_argument("--idle", type=int, default=8)
    ap.add_argument("--sources", default="127.0.0.2,127.0.0.3,127.0.0.4,127.0.0.5")
    ap.add_argument("--seconds", type=float, default=12)
    ap.add_argument("--max-conns", type=int, default=40)
    ap.add_argument("--http", action="store_true", help="drip an HTTP request header instead of TLS")
    a = ap.parse_args()
    srcs = [x for x in a.sources.split(",") if x.startswith("127.")]
    stats = dict(connections=0, dropped=0, undropped=0, max_hold_ms=0, refused=0)
    lock = threading.Lock()
    until = time.monotonic() + a.seconds
    th = []
    for i in range(a.drip + a.idle):
        t = threading.Thread(target=worker, args=(a.port, srcs[i % len(srcs)], i < a.drip, until,
                                                  a.max_conns, stats, lock, a.http))
        t.start()
        th.append(t)
    for t in th:
        t.join()
    print(" ".join(f"{k}={v}" for k, v in stats.items()), flush=True)

main()

#!/usr/bin/env python3
"""Fake devices at the peer port (127.0.0.0/8 only): each a fresh EC P-256 key
and self-signed certificate, a full TLS handshake from its source address, one
HELLO (the tree's protocol version) with --name, then it reads the server's answer until it
closes. Bounded: --count devices, --seconds in all, a few threads.
Prints: tried=N handshakes=N."""
import argparse, datetime, os, re, socket, ssl, sys, tempfile, threading, time
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)

def protocol_version():
    # the version this source tree speaks (an unknown device of another
    # version would be refused before its name is read)
    wire = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "include", "clientele", "wire.h")
    with open(wire) as f:
        return int(re.search(r"#define CL_PROTOCOL_VERSION (\d+)", f.read()).group(1))

PROTOCOL = protocol_version()

def hello(name):
    nb = name.encode()
    # version, listen port, name, flags, the hash of our vector held: none
    payload = varint(PROTOCOL) + varint(0) + varint(len(nb)) + nb + varint(0) + bytes(32)
    return (len(payload) + 1).to_bytes(4, "big") + b"\x01" + payload

def identity(folder, i):
    key = ec.generate_private_key(ec.SECP256R1())
    subj = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"fake-{i}")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subj).issuer_name(subj).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30)).sign(key, hashes.SHA256()))
    path = os.path.join(folder, f"{i}.pem")
    with open(path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    return path

def one(port, src, name, folder, i, stats, lock):
    path = identity(folder, i)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(path)
    ok = False
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(src, 0)) as raw:
            with ctx.wrap_socket(raw) as s:
                ok = True
                s.sendall(hello(name))
                while s.recv(4096):
                    pass
    except (OSError, ssl.SSLError):
        pass
    os.unlink(path)
    with lock:
        stats["tried"] += 1
        stats["handshakes"] += ok

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--count", type=int, default=300)
    ap.add_argument("--sources", type=int, default=20, help="127.0.0.1 … 127.0.0.N")
    ap.add_argument("--first-source", type=int, default=1)
    ap.add_argument("--name", default="fake")
    ap.add_argument("--threads", type=int, default=6)
    ap.add_argument("--seconds", type=float, default=120)
    a = ap.parse_args()
    stats = dict(tried=0, handshakes=0)
    lock = threading.Lock()
    until = time.monotonic() + a.seconds
    nxt = iter(range(a.count))
    folder = tempfile.mkdtemp()
    def run():
        for i in nxt:
            if time.monotonic() >= until:
                return
            src = f"127.0.0.{a.first_source + i % a.sources}"
            one(a.port, src, a.name.replace("{i}", str(i)), folder, i, stats, lock)
    th = [threading.Thread(target=run) for _ in range(a.threads)]
    for t in th:
        t.start()
    for t in th:
        t.join()
    os.rmdir(folder)
    print(" ".join(f"{k}={v}" for k, v in stats.items()), flush=True)

main()

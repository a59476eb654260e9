#!/usr/bin/python3
"""Measures where libmemcached (through pylibmc) puts keys, for the ring tests.

For each server list below, starts fresh memcached servers on loopback, sets
every key through `pylibmc.Client(servers, behaviors=...)`, then asks each
server alone which keys it holds, and writes the mapping as a fixture:

    # servers<TAB>spec<TAB>spec…      (pylibmc specs, `host:port[:weight]`)
    # behaviors<TAB>ketama            (or ketama_weighted)
    key<TAB>host:port                 (one line per key)

Keys are written with every byte outside printable ASCII, and the
backslash, as `\\xNN`.

    /usr/bin/python3 measure.py            # writes the fixtures next to this file
    /usr/bin/python3 measure.py --check    # measures again, compares with them

Needs Debian's `memcached` and `python3-pylibmc`; uses ports 10181-10185 and
11211 on 127.0.0.1 (11211 to see libmemcached's default-port rule). Exits
with status 77 and a reason when it cannot run (missing package, busy port).
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
HOST = "127.0.0.1"
SKIP = 77

# name -> (pylibmc server specs, behavior)
LISTS = {
    "three": ([f"{HOST}:10181", f"{HOST}:10182", f"{HOST}:10183"], "ketama"),
    "five": ([f"{HOST}:{p}" for p in range(10181, 10186)], "ketama"),
    # Port 11211 is memcached's default: does it change the point strings?
    "default_port": ([f"{HOST}:11211", f"{HOST}:10181", f"{HOST}:10182"], "ketama"),
    # Weights in pylibmc's `host:port:weight` form.
    "weighted": ([f"{HOST}:10181:1", f"{HOST}:10182:2", f"{HOST}:10183:3"], "ketama"),
    # libmemcached's "ketama_weighted": MD5 points and MD5 key hash.
    "md5_three": ([f"{HOST}:10181", f"{HOST}:10182", f"{HOST}:10183"], "ketama_weighted"),
    "md5_weighted": ([f"{HOST}:10181:1", f"{HOST}:10182:2", f"{HOST}:10183:3"], "ketama_weighted"),
}


def keys():
    """1500 keys: counters, words, prefixes, lengths, and bytes >= 0x80."""
    out = [f"key:{i}".encode() for i in range(600)]
    out += [f"user:{i * 7919 % 100003}:session".encode() for i in range(300)]
    out += [("x" * (1 + i % 200) + str(i)).encode() for i in range(200)]
    out += [f"caf\u00e9:{i}".encode() for i in range(150)]
    out += [bytes([0x80 + i % 128, 0xFF - i % 64]) + f":{i}".encode() for i in range(150)]
    out += [f"{i:x}-{i * i:o}".encode() for i in range(100)]
    return out


def escape(key):
    return "".join(
        chr(b) if 0x21 <= b <= 0x7E and b != 0x5C else f"\\x{b:02x}" for b in key
    )


def host_port(spec):
    host, port = spec.split(":")[:2]
    return f"{host}:{port}"


def port_free(port):
    with socket.socket() as s:
        try:
            s.bind((HOST, port))
            return True
        except OSError:
            return False


def start(ports):
    procs = []
    for port in ports:
        procs.append(
            subprocess.Popen(
                ["memcached", "-l", HOST, "-p", str(port), "-U", "0", "-m", "16", "-u", "nobody"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    deadline = time.time() + 10
    for port in ports:
        while True:
            try:
                socket.create_connection((HOST, port), timeout=1).close()
                break
            except OSError:
                if time.time() > deadline:
                    raise SystemExit(f"memcached on port {port} did not start")
                time.sleep(0.05)
    return procs


def measure(pylibmc, specs, behavior):
    ports = [int(s.split(":")[1]) for s in specs]
    procs = start(ports)
    try:
        client = pylibmc.Client(specs, behaviors={behavior: True})
        all_keys = keys()
        for k in all_keys:
            client.set(k, b"1")
        where = {}
        for spec in specs:
            alone = pylibmc.Client([spec])
            for k in alone.get_multi(all_keys):
                if k in where:
                    raise SystemExit(f"{k!r} on two servers")
                where[k] = host_port(spec)
        missing = [k for k in all_keys if k not in where]
        if missing:
            raise SystemExit(f"{len(missing)} keys on no server, e.g. {missing[0]!r}")
        lines = [f"# servers\t" + "\t".join(specs), f"# behaviors\t{behavior}"]
        lines += [f"{escape(k)}\t{where[k]}" for k in all_keys]
        return "\n".join(lines) + "\n"
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait()


def main():
    check = "--check" in sys.argv[1:]
    try:
        import pylibmc
    except ImportError:
        print("skipped: pylibmc is not installed (apt-get install python3-pylibmc)")
        return SKIP
    if shutil.which("memcached") is None:
        print("skipped: memcached is not installed (apt-get install memcached)")
        return SKIP
    busy = [p for p in [11211, *range(10181, 10186)] if not port_free(p)]
    if busy:
        print(f"skipped: ports {busy} are busy on {HOST}")
        return SKIP
    failed = 0
    for name, (specs, behavior) in LISTS.items():
        text = measure(pylibmc, specs, behavior)
        path = os.path.join(HERE, f"{name}.tsv")
        if check:
            with open(path) as f:
                same = f.read() == text
            print(f"{name}: {'same as' if same else 'DIFFERENT FROM'} {path}")
            failed += not same
        else:
            with open(path, "w") as f:
                f.write(text)
            print(f"{name}: wrote {path}")
    print(f"libmemcached {pylibmc.libmemcached_version}, pylibmc {pylibmc.__version__}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

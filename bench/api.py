"""Benchmark: the API under load — the region intensity report against the health check, in one run.

Starts ``carbon serve`` on the demo database, then a second process puts a bounded load (a fixed number of
concurrent keep-alive clients for a fixed time) on ``GET /healthz`` and on ``GET /v1/regions/gz-htz/intensity``
in turn, and prints requests/s, p50 and p99 latency of each and the ratio intensity / healthz
(aim: within 3x, p99 under 50 ms).

Usage: python bench/api.py [--seconds 8] [--clients 4] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

# This file is bench/api.py: as a script its folder comes first on sys.path and would hide the `api` package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import httpx  # noqa: E402
import numpy as np  # noqa: E402

ENDPOINTS = {"healthz": "/healthz", "intensity": "/v1/regions/gz-htz/intensity"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def load(base: str, token: str, path: str, seconds: float, clients: int) -> dict[str, float]:
    """Keep ``clients`` connections busy on one path for ``seconds``; latencies of every answered request."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    stop = time.perf_counter() + seconds

    def client(slot: int) -> None:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
            while time.perf_counter() < stop:
                started = time.perf_counter()
                response = http.get(path)
                latencies[slot].append(time.perf_counter() - started)
                errors[slot] += response.status_code != 200

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    values = np.concatenate([np.array(x) for x in latencies]) * 1000
    return {"requests": len(values), "errors": sum(errors), "rps": len(values) / elapsed,
            "p50_ms": float(np.percentile(values, 50)), "p99_ms": float(np.percentile(values, 99))}


def child(base: str, token: str, seconds: float, clients: int) -> None:
    """The second process: warm up, then load each endpoint in turn; prints one JSON line."""
    for path in ENDPOINTS.values():
        load(base, token, path, 1.0, clients)  # warm-up: connections, caches, the first computation
    print(json.dumps({name: load(base, token, path, seconds, clients) for name, path in ENDPOINTS.items()}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--keep", type=Path, help="keep the database in this folder")
    parser.add_argument("--child", nargs=2, metavar=("BASE", "TOKEN"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.seconds, args.clients)
        return

    from carbon.access import create_token
    from carbon.demo import load_demo
    from carbon.store import Store

    folder = args.keep or Path(tempfile.mkdtemp(prefix="carbon-bench-api-"))
    folder.mkdir(parents=True, exist_ok=True)
    db = str(folder / "demo.db")
    store = Store(db)
    load_demo(store)
    token = create_token(store, role="bureau", label="benchmark", days=1)[1]
    store.close()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "CARBON_SCHEDULER": "false"}
    server = subprocess.Popen([sys.executable, "-m", "carbon.cli", "serve", "--db", db, "--port", str(port)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        output = subprocess.run([sys.executable, __file__, "--child", base, token, "--seconds", str(args.seconds),
                                 "--clients", str(args.clients)], check=True, capture_output=True, text=True)
    finally:
        server.terminate()
        server.wait(timeout=10)
    results = json.loads(output.stdout.strip().splitlines()[-1])
    print(f"server: carbon serve on the demo database; load: {args.clients} keep-alive clients x "
          f"{args.seconds:g} s per endpoint, from a second process")
    for name, result in results.items():
        print(f"{name:<10} {result['rps']:8.0f} req/s  p50 {result['p50_ms']:6.2f} ms  p99 {result['p99_ms']:6.2f} ms"
              f"  ({result['requests']:,} requests, {result['errors']} errors)")
    intensity, health = results["intensity"], results["healthz"]
    print(f"ratio intensity / healthz: p50 {intensity['p50_ms'] / health['p50_ms']:.2f}x, "
          f"throughput {health['rps'] / intensity['rps']:.2f}x  (aim <= 3x)")
    print(f"intensity p99: {intensity['p99_ms']:.1f} ms  (aim < 50 ms)")


if __name__ == "__main__":
    main()

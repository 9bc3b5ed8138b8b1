"""Benchmark: the monthly-deadline mixed load — `carbon serve` against a minimal app on the same data, one run.

Both servers run on copies of the demo database (SQLite) on this machine. A second process puts the same mixed
load on each in turn: ``--clients`` keep-alive clients for ``--seconds`` in all, split into ``--rounds`` that
alternate between the two apps (so that a machine whose speed drifts during the run weighs on both alike), each
request drawn at random as
20 % region intensity, 20 % region CO2, 30 % an enterprise's consumption (read), 30 % a submission of 5 monthly
records for a month not reported before (write). The baseline is a minimal FastAPI app that does the same reads
and writes with plain ``sqlite3`` (an aggregate over the region's monthly totals for each report, a select of the
enterprise's rows, an insert of the five rows in one transaction) and nothing else.

With ``--backend postgresql`` both run on PostgreSQL instead: a fresh database is created on the server of
``--pg-url`` (dropped afterwards), the demo loaded into it, and TWO instances of each server share it (the clients
alternate between them), as behind a load balancer; the minimal app then uses plain ``psycopg`` on a copy of the
database (``CREATE DATABASE … TEMPLATE``).

Printed: throughput, p50/p99 of reads and writes, errors, for both, and the ratios carbon / minimal; then each
database is checked: every acknowledged write stored exactly once, nothing unacknowledged stored twice.
Targets (issue "monthly-deadline load"): 0 errors; throughput >= 0.5x the minimal app's; read p99 <= 2x and
write p99 <= 3x the minimal app's; on PostgreSQL with two instances: 0 errors, every write once.

``--workers N`` runs each carbon instance as ``carbon serve --workers N`` (N processes sharing the port and the
database); the minimal app stays one process.

Usage: python bench/load.py [--seconds 60] [--clients 20] [--workers 2] [--keep DIR]
       python bench/load.py --backend postgresql [--pg-url postgresql://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# This file is bench/load.py: as a script its folder comes first on sys.path and would hide the `api` package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import httpx  # noqa: E402
import numpy as np  # noqa: E402
import psycopg  # noqa: E402
from fastapi import FastAPI, Request  # noqa: E402

REGION = "gz-htz"
MIX = (("intensity", 0.2), ("carbon", 0.2), ("read", 0.3), ("write", 0.3))
CARRIERS = ("electricity", "natural_gas", "diesel", "gasoline", "heat")
UNITS = {"electricity": "kWh", "natural_gas": "m3", "diesel": "t", "gasoline": "t", "heat": "GJ"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- the minimal app ----------------------------------------------------------------------------------------

def minimal_app(db: str) -> Any:
    """The baseline: the same routes, plain sqlite3 (or psycopg for a ``postgresql://`` URL), one connection per
    request, no validation or conversion."""
    app = FastAPI()
    postgresql = db.startswith("postgresql://")

    def connect() -> Any:
        if postgresql:
            return _QmarkConnection(psycopg.connect(db, autocommit=True))
        conn = sqlite3.connect(db, timeout=30, isolation_level=None)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        return conn

    def yearly(column: str) -> list[dict[str, Any]]:
        conn = connect()
        try:
            rows = conn.execute(f"SELECT substr(period, 1, 4), SUM({column}) FROM monthly_totals WHERE region = ? "
                                "GROUP BY 1 ORDER BY 1", [REGION]).fetchall()
        finally:
            conn.close()
        return [{"year": int(year), "value": value} for year, value in rows]

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/v1/regions/{code}/intensity")
    def intensity(code: str) -> dict[str, Any]:
        return {"region": code, "years": yearly("tce_equivalent")}

    @app.get("/v1/regions/{code}/carbon")
    def carbon(code: str) -> dict[str, Any]:
        return {"region": code, "years": yearly("co2_t")}

    @app.get("/v1/enterprises/{enterprise_id}/consumption")
    def consumption(enterprise_id: str) -> list[dict[str, Any]]:
        conn = connect()
        try:
            rows = conn.execute("SELECT period, carrier, purpose, quantity, unit FROM consumption "
                                "WHERE enterprise_id = ? ORDER BY period, carrier", [enterprise_id]).fetchall()
        finally:
            conn.close()
        return [dict(zip(("period", "carrier", "purpose", "quantity", "unit"), row, strict=True)) for row in rows]

    @app.post("/v1/enterprises/{enterprise_id}/consumption")
    async def submit(enterprise_id: str, request: Request) -> dict[str, Any]:
        records = (await request.json())["records"]
        conn = connect()
        try:
            conn.execute("BEGIN" if postgresql else "BEGIN IMMEDIATE")
            conn.executemany("INSERT INTO consumption (enterprise_id, period, carrier, purpose, quantity, unit) "
                             "VALUES (?, ?, ?, 'fuel', ?, ?)",
                             [[enterprise_id, r["period"], r["carrier"], r["quantity"], r["unit"]] for r in records])
            conn.execute("COMMIT")
        finally:
            conn.close()
        return {"accepted": len(records)}

    return app


class _QmarkConnection:
    """Just enough of a sqlite3 connection over psycopg for the minimal app: ``?`` parameters."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Any = None) -> Any:
        return self.conn.execute(sql.replace("?", "%s"), params)

    def executemany(self, sql: str, rows: Any) -> None:
        self.conn.cursor().executemany(sql.replace("?", "%s"), rows)

    def close(self) -> None:
        self.conn.close()


# -- the load -----------------------------------------------------------------------------------------------

def write_keys(client: int, clients: int, count: int, enterprises: list[str],
               offset: int = 0) -> list[tuple[str, str]]:
    """(enterprise, month) pairs no one reported: the months before the demo data begin, from 2019-12 backwards,
    each enterprise's in turn (a history filled in month by month, without the gaps that would make every month
    in between a missing report); unique per client and request (from the ``offset``-th request of each client
    on: a later round goes on where the last ended), so each acknowledged write is five new rows."""
    keys = []
    for sequence in range(offset, offset + count):
        serial = sequence * clients + client
        enterprise = enterprises[serial % len(enterprises)]
        month = serial // len(enterprises)
        year, month_index = divmod(2019 * 12 + 11 - month, 12)
        keys.append((enterprise, f"{year:04d}-{month_index + 1:02d}"))
    return keys


def run_load(bases: list[str], token: str, seconds: float, clients: int, enterprises: list[str],
             offset: int = 0) -> dict[str, Any]:
    """Keep ``clients`` connections busy with the mix for ``seconds``, client i on server ``bases[i % n]``;
    latencies per kind [ms], errors, the writes acknowledged and the most writes one client sent."""
    stop = time.perf_counter() + seconds
    results: list[dict[str, Any]] = [{"latency": {k: [] for k, _ in MIX}, "errors": [], "acknowledged": []}
                                     for _ in range(clients)]
    kinds, weights = zip(*MIX, strict=True)

    def client(slot: int) -> None:
        rng = random.Random(slot)
        keys = iter(write_keys(slot, clients, 20_000, enterprises, offset))
        mine = results[slot]
        with httpx.Client(base_url=bases[slot % len(bases)], headers={"Authorization": f"Bearer {token}"},
                          timeout=120) as http:
            while time.perf_counter() < stop:
                kind = rng.choices(kinds, weights)[0]
                enterprise = rng.choice(enterprises)
                started = time.perf_counter()
                try:
                    if kind == "write":
                        enterprise, period = next(keys)
                        body = {"records": [{"period": period, "carrier": carrier, "quantity": 100.0 + i,
                                             "unit": UNITS[carrier]} for i, carrier in enumerate(CARRIERS)]}
                        response = http.post(f"/v1/enterprises/{enterprise}/consumption", json=body)
                        if response.status_code in (200, 201):
                            accepted = response.json().get("accepted")
                            mine["acknowledged"].append([enterprise, period])
                            if accepted != len(CARRIERS):
                                mine["errors"].append(f"write accepted {accepted} of {len(CARRIERS)}")
                    elif kind == "read":
                        response = http.get(f"/v1/enterprises/{enterprise}/consumption")
                    else:
                        response = http.get(f"/v1/regions/{REGION}/{kind}")
                    failed = response.status_code >= 400
                    detail = f"{kind} {response.status_code}"
                except httpx.HTTPError as error:
                    failed, detail = True, f"{kind} {type(error).__name__}"
                mine["latency"][kind].append(time.perf_counter() - started)
                if failed:
                    mine["errors"].append(detail)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    return {"elapsed": elapsed, "errors": [e for r in results for e in r["errors"]],
            "latency": {kind: [x * 1000 for r in results for x in r["latency"][kind]] for kind, _ in MIX},
            "acknowledged": [a for r in results for a in r["acknowledged"]],
            "most_writes": max(len(r["latency"]["write"]) for r in results)}


def summary(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """Throughput, latency percentiles and errors of an app over all its rounds."""
    latency = {kind: np.array([x for r in rounds for x in r["latency"][kind]]) for kind, _ in MIX}
    reads = np.concatenate([latency[k] for k in ("intensity", "carbon", "read")])
    errors = [e for r in rounds for e in r["errors"]]
    total = sum(len(v) for v in latency.values())
    writes = latency["write"]
    return {"requests": total, "rps": total / sum(r["elapsed"] for r in rounds), "errors": len(errors),
            "error_kinds": sorted(set(errors)),
            "read_p50_ms": float(np.percentile(reads, 50)), "read_p99_ms": float(np.percentile(reads, 99)),
            "write_p50_ms": float(np.percentile(writes, 50)) if len(writes) else None,
            "write_p99_ms": float(np.percentile(writes, 99)) if len(writes) else None,
            "writes": len(writes), "acknowledged": [a for r in rounds for a in r["acknowledged"]]}


def check_stored(db: str, acknowledged: list[list[str]]) -> dict[str, int]:
    """Rows of the benchmark's months (before 2020) against the acknowledged writes: exactly five each
    (``db`` a SQLite file or a PostgreSQL URL)."""
    conn: Any = psycopg.connect(db) if db.startswith("postgresql://") else sqlite3.connect(db)
    try:
        rows = conn.execute("SELECT enterprise_id, period, COUNT(*) FROM consumption WHERE period < '2020-01' "
                            "GROUP BY enterprise_id, period").fetchall()
    finally:
        conn.close()
    stored = {(e, p): n for e, p, n in rows}
    wanted = {tuple(a) for a in acknowledged}
    return {"acknowledged": len(acknowledged), "missing": sum(1 for key in wanted if stored.get(key) != len(CARRIERS)),
            "unacknowledged_stored": sum(1 for key in stored if key not in wanted),
            "acknowledged_twice": len(acknowledged) - len(wanted)}


# -- orchestration ------------------------------------------------------------------------------------------

def wait_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    for _ in range(600):
        if process.poll() is not None:
            raise SystemExit(f"the server at {base} exited with {process.returncode}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"the server at {base} did not answer")


@contextmanager
def serving(commands: list[tuple[str, list[str]]], bases: list[str], logs: Path) -> Iterator[None]:
    """Run the servers — (name, command) — all at once, as instances of a service start, until the block ends."""
    env = {**os.environ, "CARBON_SCHEDULER": "false"}
    servers = []
    try:
        for number, (name, command) in enumerate(commands):
            # stderr to a file: a server's tracebacks are the first thing to read when a request failed
            with open(logs / f"server-{name}-{number}.log", "wb") as log:
                servers.append(subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=log))
        for base, server in zip(bases, servers, strict=True):
            wait_ready(base, server)
        yield
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)


def load_round(bases: list[str], token: str, seconds: float, args: argparse.Namespace, enterprises: list[str],
               offset: int) -> dict[str, Any]:
    """One round of the load on ``bases``, from a process of its own (the client's CPU is not the servers')."""
    output = subprocess.run(
        [sys.executable, __file__, "--child", ",".join(bases), token, "--seconds", str(seconds),
         "--clients", str(args.clients), "--enterprises", ",".join(enterprises), "--offset", str(offset)],
        check=True, capture_output=True, text=True)
    return json.loads(output.stdout.strip().splitlines()[-1])


def alternate(apps: dict[str, list[str]], token: str, args: argparse.Namespace,
              enterprises: list[str]) -> dict[str, dict[str, Any]]:
    """``args.rounds`` rounds of ``args.seconds / args.rounds`` on each app, taking turns (the first app of a
    round alternates too); each app's rounds summed up."""
    rounds: dict[str, list[dict[str, Any]]] = {name: [] for name in apps}
    offsets = dict.fromkeys(apps, 0)
    names = list(apps)
    for number in range(args.rounds):
        for name in names if number % 2 == 0 else names[::-1]:
            result = load_round(apps[name], token, args.seconds / args.rounds, args, enterprises, offsets[name])
            rounds[name].append(result)
            offsets[name] += result["most_writes"]
            time.sleep(2)  # what a server does after its round (its alert refresh) is not the next one's load
    return {name: summary(done) for name, done in rounds.items()}


def pg_database(base_url: str, name: str, *, template: str | None = None, drop: bool = False) -> str:
    """Create (or with ``drop`` drop) database ``name`` on the server of ``base_url``; its URL."""
    with psycopg.connect(base_url, autocommit=True) as conn:
        if drop:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        else:
            conn.execute(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
    return base_url.rsplit("/", 1)[0] + f"/{name}"


# The minimal app's copy keeps consumption as a plain table of its submitted columns (in carbon it is a view over
# the compact rows): the baseline writes and reads the data itself, nothing more.
PLAIN_CONSUMPTION = (
    "CREATE TABLE consumption_plain AS SELECT enterprise_id, period, carrier, purpose, quantity, unit FROM consumption",
    "DROP VIEW consumption",
    "ALTER TABLE consumption_plain RENAME TO consumption",
    "CREATE UNIQUE INDEX consumption_key ON consumption (enterprise_id, period, carrier, purpose)",
)


def plain_consumption(conn: Any) -> None:
    """Turn the copied database's consumption view into the plain table the minimal app writes to."""
    for statement in PLAIN_CONSUMPTION:
        conn.execute(statement)


def prepare(folder: Path, pg_url: str | None = None) -> tuple[str, str, str, list[str]]:
    """The demo database, a bureau token, and a copy of it for the minimal app (SQLite files in ``folder``, or
    two new databases on the PostgreSQL server of ``pg_url``)."""
    from carbon.access import create_token
    from carbon.demo import load_demo
    from carbon.store import Store

    if pg_url is not None:
        name = f"carbon_bench_load_{os.getpid()}"
        db = pg_database(pg_url, name)
    else:
        db = str(folder / "carbon.db")
    store = Store(db)
    load_demo(store)
    token = create_token(store, role="bureau", label="benchmark", days=1)[1]
    enterprises = [row[0] for row in store.conn.execute("SELECT id FROM enterprises ORDER BY id").fetchall()]
    store.close()
    if pg_url is not None:
        plain = pg_database(pg_url, f"{name}_minimal", template=name)
        with psycopg.connect(plain, autocommit=True) as conn:
            plain_consumption(conn)
        return db, plain, token, enterprises
    plain = str(folder / "minimal.db")
    source = sqlite3.connect(db)
    target = sqlite3.connect(plain, isolation_level=None)
    source.backup(target)
    source.close()
    plain_consumption(target)
    target.close()
    return db, plain, token, enterprises


def report(name: str, result: dict[str, Any], stored: dict[str, int]) -> None:
    writes = (f"writes p50 {result['write_p50_ms']:8.1f} ms  p99 {result['write_p99_ms']:8.1f} ms"
              if result["writes"] else "no writes")
    print(f"{name:<8} {result['rps']:7.1f} req/s  reads p50 {result['read_p50_ms']:7.1f} ms  p99 "
          f"{result['read_p99_ms']:7.1f} ms  {writes}  ({result['requests']:,} requests, {result['errors']} errors"
          f"{': ' + ', '.join(result['error_kinds'][:5]) if result['errors'] else ''})")
    print(f"{'':<8} stored: {stored['acknowledged']:,} acknowledged writes, {stored['missing']} not stored "
          f"exactly once, {stored['unacknowledged_stored']} stored without an acknowledgement")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--keep", type=Path, help="keep the databases (SQLite) and the server logs in this folder")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/postgres",
                        help="a database on the PostgreSQL server where the benchmark creates (and drops) its own")
    parser.add_argument("--workers", type=int, default=1,
                        help="processes of each carbon instance (`carbon serve --workers`); the minimal app has one")
    parser.add_argument("--instances", type=int, default=None,
                        help="server instances per app (default 1 on SQLite, 2 on PostgreSQL)")
    parser.add_argument("--child", nargs=2, metavar=("BASES", "TOKEN"), help=argparse.SUPPRESS)
    parser.add_argument("--rounds", type=int, default=4,
                        help="rounds per app, taking turns (the seconds are split between them)")
    parser.add_argument("--enterprises", help=argparse.SUPPRESS)
    parser.add_argument("--offset", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--minimal", nargs=2, metavar=("DB", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = run_load(args.child[0].split(","), args.child[1], args.seconds, args.clients,
                          args.enterprises.split(","), args.offset)
        print(json.dumps(result))
        return
    if args.minimal:
        import uvicorn

        uvicorn.run(minimal_app(args.minimal[0]), host="127.0.0.1", port=int(args.minimal[1]), log_level="warning")
        return

    folder = args.keep or Path(tempfile.mkdtemp(prefix="carbon-bench-load-"))
    folder.mkdir(parents=True, exist_ok=True)
    postgresql = args.backend == "postgresql"
    instances = args.instances or (2 if postgresql else 1)
    db, plain = None, None
    try:
        db, plain, token, enterprises = prepare(folder, args.pg_url if postgresql else None)
        commands = {"carbon": lambda port: [sys.executable, "-m", "carbon.cli", "serve", "--db", db, "--port",
                                            str(port), "--workers", str(args.workers)],
                    "minimal": lambda port: [sys.executable, __file__, "--minimal", plain, str(port)]}
        ports = {name: [free_port() for _ in range(instances)] for name in commands}
        apps = {name: [f"http://127.0.0.1:{port}" for port in ports[name]] for name in commands}
        with serving([(name, commands[name](port)) for name in commands for port in ports[name]],
                     [base for name in commands for base in apps[name]], folder):
            results = alternate(apps, token, args, enterprises)
        engine = "PostgreSQL" if postgresql else "SQLite"
        print(f"mixed load: {args.clients} clients x {args.seconds:g} s in {args.rounds} rounds taking turns, "
              f"{', '.join(f'{k} {int(w * 100)} %' for k, w in MIX)}; {engine}, {instances} instance"
              f"{'s' if instances > 1 else ''} per app ({args.workers} process{'es' if args.workers > 1 else ''} "
              "each for carbon, 1 for the minimal app), client in a separate process")
        checks = {"carbon": check_stored(db, results["carbon"]["acknowledged"]),
                  "minimal": check_stored(plain, results["minimal"]["acknowledged"])}
        for name in ("carbon", "minimal"):
            report(name, results[name], checks[name])
        ours, base = results["carbon"], results["minimal"]
        print(f"ratios carbon / minimal: throughput {ours['rps'] / base['rps']:.2f}x (aim >= 0.5x), "
              f"read p99 {ours['read_p99_ms'] / base['read_p99_ms']:.2f}x (aim <= 2x), write p99 "
              + (f"{ours['write_p99_ms'] / base['write_p99_ms']:.2f}x (aim <= 3x)"
                 if ours["writes"] and base["writes"] else "n/a"))
    finally:
        if postgresql:
            for url in (plain, db):
                if url is not None:
                    pg_database(args.pg_url, url.rsplit("/", 1)[1], drop=True)
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Serving processes that share a port evenly: each listens on a socket of its own (``SO_REUSEPORT``).

With one listening socket shared by all processes (uvicorn's ``--workers``), every process is woken by a new
connection and the first one awake accepts all that are waiting. Clients that connect at once and keep their
connections alive then stay on one process: measured under the mixed load, 19 of 20 clients on one of two
processes while the other idled. With a socket per process, the kernel spreads new connections over the sockets
by their addresses. The supervising process only starts the processes, replaces one that dies, and passes a stop
signal on to them.

Each serving process started here, one or many, settles its heap once the app has started (:func:`settle_heap`).
"""

from __future__ import annotations

import gc
import multiprocessing
import signal
import socket
import sys
import time
from multiprocessing.process import BaseProcess
from typing import Any

import uvicorn

__all__ = ["Server", "serve_processes", "settle_heap", "shared_port_socket"]

# A process that fails this soon after it started, or says it could not start (uvicorn's exit code 3), could not
# start (the port, the app): starting it again would fail the same way, so the service stops instead [s].
START_GRACE_S = 10.0
STARTUP_FAILURE = 3
POLL_S = 0.5  # how often the supervisor looks at its processes [s]
# Container objects allocated (net) between two collections of the youngest generation [-]; Python's default is 700.
YOUNG_GENERATION_OBJECTS = 7_000


def settle_heap() -> None:
    """Take what start-up built (modules, the unit registry, the factor tables, the app: some 200 000 objects) out
    of the garbage collector's reach, and collect the youngest generation less often.

    Measured under the mixed load (two processes, 20 clients): every full collection walked all of it, 200-250 ms
    with the interpreter lock held, every 10-20 s in each process, and every request in the process waited; the
    write p99 was 250-270 ms against 125-150 ms with the heap settled. A request makes and drops thousands of
    objects (frames, rows), so young collections every 700 of them ran ~50 times a second per process.
    """
    gc.collect()  # what is garbage now is freed, not kept for good
    gc.freeze()
    gc.set_threshold(YOUNG_GENERATION_OBJECTS, *gc.get_threshold()[1:])


class Server(uvicorn.Server):
    """uvicorn's server, whose process settles its heap once the app has started (:func:`settle_heap`)."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        settle_heap()


def shared_port_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``(host, port)`` that other processes of this user may bind as well."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def _serve_one(app: str, host: str, port: int) -> None:
    """One serving process (runs in the child): the app on a socket of its own."""
    config = uvicorn.Config(app, factory=True, host=host, port=port, log_level="info")
    Server(config).run(sockets=[shared_port_socket(host, port)])


class _Supervisor:
    """Keeps ``count`` serving processes running until told to stop."""

    def __init__(self, app: str, host: str, port: int, count: int) -> None:
        self.target = (app, host, port)
        self.count = count
        self.context = multiprocessing.get_context("spawn")  # a fresh interpreter each: no state of this one
        self.processes: list[tuple[BaseProcess, float]] = []
        self.stopping = False

    def start_one(self) -> tuple[BaseProcess, float]:
        process = self.context.Process(target=_serve_one, args=self.target, name="carbon-serve")
        process.start()
        return process, time.monotonic()

    def stop(self, *_: Any) -> None:
        self.stopping = True

    def run(self) -> int:
        """Start the processes and watch them; the exit status of the service."""
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self.stop)
        self.processes = [self.start_one() for _ in range(self.count)]
        status = 0
        while not self.stopping:
            time.sleep(POLL_S)
            status = self._replace_ended()
        for process, _ in self.processes:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes the requests under way, then stops
        for process, _ in self.processes:
            process.join()
        return status

    def _replace_ended(self) -> int:
        """Start a new process for each that ended (killed, or failed while serving); 1 (and stop) when one
        could not start."""
        for index, (process, started) in enumerate(self.processes):
            if process.is_alive() or self.stopping:
                continue
            code = process.exitcode or 0
            if code == STARTUP_FAILURE or (code > 0 and time.monotonic() - started < START_GRACE_S):
                print(f"a serving process could not start (exit code {code}); stopping", file=sys.stderr)
                self.stopping = True
                return 1
            self.processes[index] = self.start_one()
        return 0


def serve_processes(app: str, host: str, port: int, count: int) -> None:
    """Serve the app factory ``app`` (an import string) from ``count`` processes sharing ``host:port`` evenly.

    Parameters
    ----------
    app : str
        ``"module:factory"``, called in each process to make its app.
    host, port : str, int
        Where to listen.
    count : int
        Processes [-]; each one's interpreter uses one core.
    """
    sys.exit(_Supervisor(app, host, port, count).run())

"""Serving processes that share a port evenly: each listens on a socket of its own (``SO_REUSEPORT``).

With one listening socket shared by all processes (uvicorn's ``--workers``), every process is woken by a new
connection and the first one awake accepts all that are waiting. Clients that connect at once and keep their
connections alive then stay on one process: measured under the mixed load, 19 of 20 clients on one of two
processes while the other idled. With a socket per process, the kernel spreads new connections over the sockets
by their addresses. The supervising process only starts the processes, replaces one that dies, and passes a stop
signal on to them.

The hash spreads connections evenly only on average: 20 keep-alive clients often split 13/7, and the busier process,
one interpreter on one core, then makes its clients wait while the other has room. So the processes publish their
open connections in memory they share (:class:`Shares`), and one holding more than its share asks that many of its
clients to reconnect (``Connection: close`` on their next answer); each new connection lands by the hash again,
until the counts are even.

Each serving process started here, one or many, settles its heap once the app has started (:func:`settle_heap`).
"""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
import signal
import socket
import sys
import time
from collections.abc import Awaitable, Callable, MutableSequence
from multiprocessing.process import BaseProcess
from typing import Any

import uvicorn

__all__ = ["Server", "Shares", "serve_processes", "settle_heap", "shared_port_socket"]

# A process that fails before its app has started, or says it could not start (uvicorn's exit code 3), could not
# start (the port, the app): starting it again would fail the same way, so the service stops instead. Whether it
# started is read from its count of connections (NOT_STARTED until then), not from the clock: on a loaded machine
# starting can take longer than any grace period.
STARTUP_FAILURE = 3
NOT_STARTED = -1
POLL_S = 0.5  # how often the supervisor looks at its processes [s]
# Container objects allocated (net) between two collections of the youngest generation [-]; Python's default is 700.
YOUNG_GENERATION_OBJECTS = 7_000
SHARES_EVERY_S = 0.25  # how often a serving process publishes its open connections and compares [s]

ASGIApp = Callable[[dict[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]


class Shares:
    """The open connections of each serving process (``counts``, shared between the processes; this one's at
    ``index``), and how many of its clients this process asks to reconnect to even them out."""

    def __init__(self, counts: MutableSequence[int], index: int) -> None:
        self.counts = counts
        self.index = index
        self.surplus = 0  # clients still to ask to reconnect

    def update(self, open_now: int) -> None:
        """Publish this process's open connections (which also says that it started); ask to reconnect as many as
        it holds beyond its share among the processes that started."""
        self.counts[self.index] = open_now
        started = [count for count in self.counts if count >= 0]  # read without a lock: a moment old does no harm
        share = -(-sum(started) // len(started))
        self.surplus = max(open_now - share, 0)

    def wrap(self, app: ASGIApp) -> ASGIApp:
        """``app`` answering ``Connection: close`` while this process holds more than its share."""

        async def balanced(scope: dict[str, Any], receive: Callable[[], Awaitable[Any]],
                           send: Callable[[Any], Awaitable[None]]) -> None:
            if scope["type"] != "http" or self.surplus <= 0:
                await app(scope, receive, send)
                return

            async def closing(message: Any) -> None:
                if message["type"] == "http.response.start" and self.surplus > 0:
                    self.surplus -= 1
                    message = {**message, "headers": [*message.get("headers", []), (b"connection", b"close")]}
                await send(message)

            await app(scope, receive, closing)

        return balanced


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
    """uvicorn's server, whose process settles its heap once the app has started (:func:`settle_heap`); with
    ``shares``, one of several serving processes that even out their connections (:class:`Shares`)."""

    def __init__(self, config: uvicorn.Config, shares: Shares | None = None) -> None:
        super().__init__(config)
        self.shares = shares
        self._publishing: asyncio.Task[None] | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        if self.shares is not None:  # before the first connection takes the app
            self.config.loaded_app = self.shares.wrap(self.config.loaded_app)
        await super().startup(sockets)
        settle_heap()
        if self.shares is not None and not self.should_exit:  # started: the supervisor reads it from the count
            self.shares.update(len(self.server_state.connections))
            self._publishing = asyncio.create_task(self._publish(self.shares))

    async def _publish(self, shares: Shares) -> None:
        while not self.should_exit:
            shares.update(len(self.server_state.connections))
            await asyncio.sleep(SHARES_EVERY_S)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if self._publishing is not None:
            self._publishing.cancel()
        await super().shutdown(sockets)


def shared_port_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``(host, port)`` that other processes of this user may bind as well."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def _serve_one(app: str, host: str, port: int, counts: MutableSequence[int], index: int) -> None:
    """One serving process (runs in the child): the app on a socket of its own, its connections counted in
    ``counts`` at ``index``."""
    config = uvicorn.Config(app, factory=True, host=host, port=port, log_level="info")
    Server(config, Shares(counts, index)).run(sockets=[shared_port_socket(host, port)])


class _Supervisor:
    """Keeps ``count`` serving processes running until told to stop."""

    def __init__(self, app: str, host: str, port: int, count: int) -> None:
        self.target = (app, host, port)
        self.count = count
        self.context = multiprocessing.get_context("spawn")  # a fresh interpreter each: no state of this one
        self.counts = self.context.RawArray("i", count)  # each process's open connections (Shares)
        self.processes: list[BaseProcess] = []
        self.stopping = False

    def start_one(self, index: int) -> BaseProcess:
        self.counts[index] = NOT_STARTED
        process = self.context.Process(target=_serve_one, args=(*self.target, self.counts, index),
                                       name="carbon-serve")
        process.start()
        return process

    def stop(self, *_: Any) -> None:
        self.stopping = True

    def run(self) -> int:
        """Start the processes and watch them; the exit status of the service."""
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self.stop)
        self.processes = [self.start_one(index) for index in range(self.count)]
        status = 0
        while not self.stopping:
            time.sleep(POLL_S)
            status = self._replace_ended()
        for process in self.processes:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes the requests under way, then stops
        for process in self.processes:
            process.join()
        return status

    def _replace_ended(self) -> int:
        """Start a new process for each that ended (killed, or failed while serving); 1 (and stop) when one
        could not start."""
        for index, process in enumerate(self.processes):
            if process.is_alive() or self.stopping:
                continue
            code = process.exitcode or 0
            if code == STARTUP_FAILURE or (code > 0 and self.counts[index] == NOT_STARTED):
                print(f"a serving process could not start (exit code {code}); stopping", file=sys.stderr)
                self.stopping = True
                return 1
            self.processes[index] = self.start_one(index)
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

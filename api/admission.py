"""Admission: how many API requests one process works on at once, and in which order the others wait.

Every request of a process shares one interpreter. Twenty at work at once each take about twenty times their own
time, and a submission, the request that must not queue on the 15th of the month, fares worst: it makes the most
database calls, and at each one it gives up the interpreter lock and queues for it again. Here a few requests at
a time do their work, the submissions are let in before the reads, and the others wait in the event loop (holding
no thread) in the order they came. One place is kept for submissions: reads take at most all but one, so that a
submission never waits behind a slow read. A request that is not let in within the waiting limit is answered 503
with Retry-After, never left hanging.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from api import errors

__all__ = ["Admission", "Places"]

# Methods that only read: they wait behind the submissions.
READS = frozenset({"GET", "HEAD", "OPTIONS"})
ADMITTED_PREFIX = "/v1/"  # the API's work; the health check, the dashboard's files and the docs are not held
BACKGROUND_WAIT_S = 0.25  # the longest a thread's work waits for a place before it runs anyway [s]
LOOP_GONE_S = 5.0  # beyond that, an event loop that has not answered is taken to have stopped [s]


class Places:
    """The places of one process: at most ``limit`` API requests at work at once, submissions let in first.

    Parameters
    ----------
    limit : int
        Requests at work at once [-], reads at most ``limit - 1`` of them when ``limit`` > 1; 0 lets every request
        in at once.
    wait_s : float
        How long a request may wait to be let in before it is answered 503 [s].
    """

    def __init__(self, limit: int, wait_s: float) -> None:
        self.limit = limit
        self.wait_s = wait_s
        self.active = 0
        self.reads = 0  # reads among the active requests
        self.read_places = limit - 1 if limit > 1 else limit
        # the turns waiting, submissions first; each is a future set when a finished request hands on its place
        self.waiting: tuple[deque[asyncio.Future[None]], deque[asyncio.Future[None]]] = (deque(), deque())
        self.loop: asyncio.AbstractEventLoop | None = None  # the event loop the places are kept in

    async def enter(self, read: bool, wait_s: float | None = None) -> bool:
        """Take a place at once if one is free (for a read, one of the reads' places) and no one of its kind or
        before it waits, else wait for one [s, default :attr:`wait_s`]; False when time ran out."""
        self.loop = asyncio.get_running_loop()
        free = self.active < self.limit and not self.waiting[0]
        if free and (not read or (self.reads < self.read_places and not self.waiting[1])):
            self.active += 1
            self.reads += read
            return True
        queue = self.waiting[read]
        turn: asyncio.Future[None] = self.loop.create_future()
        queue.append(turn)
        try:
            await asyncio.wait({turn}, timeout=self.wait_s if wait_s is None else wait_s)
        except asyncio.CancelledError:  # the client went away while waiting
            self._give_up(queue, turn, read)
            raise
        if turn.done():
            return True
        queue.remove(turn)
        return False

    def _give_up(self, queue: deque[asyncio.Future[None]], turn: asyncio.Future[None], read: bool) -> None:
        """Leave the queue; a place handed over meanwhile goes on to the next in line."""
        if turn.done():
            self.leave(read)
        else:
            queue.remove(turn)
            turn.cancel()

    def leave(self, read: bool) -> None:
        """A request is done: its place goes to the first waiting submission, else to the first waiting read if
        the reads' places allow it."""
        self.reads -= read
        writes, reads = self.waiting
        if writes:
            writes.popleft().set_result(None)
        elif reads and self.reads < self.read_places:
            self.reads += 1
            reads.popleft().set_result(None)
        else:
            self.active -= 1

    @contextmanager
    def background(self) -> Iterator[None]:
        """Hold a read's place for work of a thread of this process (the alert refresh) inside the block.

        Such work then takes its turn with the requests instead of running beside as many of them as the places
        allow. It waits :data:`BACKGROUND_WAIT_S` at most (a request may be waiting for this very work), then runs
        anyway; before the first request or with no limit it runs at once.
        """
        loop = self.loop
        if self.limit <= 0 or loop is None or not loop.is_running():
            yield
            return
        # the waiting is bounded inside the loop: cancelling from this thread could race a place being handed over
        turn = asyncio.run_coroutine_threadsafe(self.enter(True, BACKGROUND_WAIT_S), loop)
        try:
            admitted = turn.result(timeout=BACKGROUND_WAIT_S + LOOP_GONE_S)
        except (TimeoutError, RuntimeError, concurrent.futures.CancelledError):  # the loop stopped meanwhile
            admitted = False
        try:
            yield
        finally:
            if admitted:
                with suppress(RuntimeError):  # a loop closed meanwhile keeps no places
                    loop.call_soon_threadsafe(self.leave, True)


class Admission:
    """An ASGI middleware letting API requests in by the process's :class:`Places`; 503 when none comes in time.

    Parameters
    ----------
    app : ASGIApp
        The application behind it.
    places : Places
        The places of this process (shared with its background work).
    """

    def __init__(self, app: ASGIApp, *, places: Places) -> None:
        self.app = app
        self.places = places

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        places = self.places
        if scope["type"] != "http" or places.limit <= 0 or not scope["path"].startswith(ADMITTED_PREFIX):
            await self.app(scope, receive, send)
            return
        read = scope["method"] in READS
        if not await places.enter(read):
            detail = (f"the service has more requests than it can work on within {places.wait_s:g} s; try again "
                      "after Retry-After seconds")
            response = errors.problem(503, detail, Request(scope), headers={"Retry-After": str(errors.RETRY_AFTER_S)})
            await response(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            places.leave(read)

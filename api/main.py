"""The application factory: routes, errors as problem documents, request ids, bounded bodies, the scheduler."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import errors
from api.admission import Admission, Places
from api.docs import install_docs
from api.routes import (
    alerts,
    audit,
    convert,
    dashboard,
    enterprises,
    health,
    jobs,
    plans,
    projects,
    regions,
    revisions,
    screenings,
    session,
    submission_forms,
    tokens,
    uploads,
)
from api.settings import Settings, get_settings
from carbon import __version__
from carbon.ingest.readers.limits import configure_limits
from carbon.ingest.uploads import UploadWorker, spool_folder
from carbon.reports.refresh import AlertRefresher
from carbon.store import open_store

log = logging.getLogger("carbon.api")


class BodyLimit:
    """Refuse request bodies over the limit with 413, whether or not they announce their length."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(scope, send)
            return
        received = 0
        started = exceeded = False

        async def counted() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    exceeded = True
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if exceeded:
                return  # the app's answer to a body it could not finish reading (400 …) gives way to the 413
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        with suppress(_TooLarge):
            await self.app(scope, counted, tracking_send)
        if exceeded and not started:
            await self._refuse(scope, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        from starlette.requests import Request

        response = errors.problem(413, f"the request body is larger than {self.limit / 1024 / 1024:g} MB; "
                                       "split the submission", Request(scope))
        await response(scope, _empty_receive, send)


class RequestId:
    """Give every request an id (the client's ``X-Request-ID`` or a new one): kept in ``request.state``, sent back
    in the header, logged with the method, path, status and time.

    A plain ASGI middleware: the decorator form (``BaseHTTPMiddleware``) costs a task and a stream per request.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or []).get(b"x-request-id")
        request_id = given.decode("latin-1") if given else uuid.uuid4().hex[:16]
        scope.setdefault("state", {})["request_id"] = request_id
        started, status = time.perf_counter(), 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode("latin-1"))]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            log.info("%s %s %s %.1fms request_id=%s", scope["method"], scope["path"], status,
                     (time.perf_counter() - started) * 1000, request_id)


class _TooLarge(Exception):
    pass


async def _empty_receive() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


def _start_up(db: str) -> None:
    """Migrate before the first request, and bring the data-driven alerts up to date (no waiting for the job)."""
    from carbon.reports.alerts import refresh_data_alerts

    with open_store(db) as store:
        try:
            refresh_data_alerts(store)
        except Exception:  # an alert that cannot be computed must not keep the service down
            log.exception("alerts could not be refreshed at start-up")


def _start_uploads(worker: UploadWorker) -> None:
    """Start the upload workers, queuing again the jobs a stopped process left running."""
    try:
        requeued = worker.start()
    except Exception:  # the service answers without its upload jobs rather than not at all
        log.exception("upload jobs could not be started")
        return
    if requeued:
        log.info("upload jobs queued again after a restart: %s", ", ".join(map(str, requeued)))


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the service. ``settings`` default to the environment (``CARBON_DB``, ``CARBON_ADMIN_TOKEN`` …)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        _start_up(settings.db)
        _start_uploads(app.state.upload_worker)
        scheduler = None
        if settings.scheduler:
            from carbon.jobs import create_scheduler

            scheduler = create_scheduler(settings.db)
        app.state.scheduler = scheduler
        try:
            yield
        finally:
            if scheduler is not None:
                scheduler.shutdown(wait=False)
            app.state.upload_worker.stop()
            # off the event loop: a refresh pass may be waiting for a place, which the loop gives
            await asyncio.to_thread(app.state.alert_refresher.stop)

    app = FastAPI(title="carbon", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Energy and carbon monitoring: submissions in; tce, CO2, intensity and peak status out.")
    app.state.settings = settings
    configure_limits(settings.reader_limits)
    app.state.scheduler = None
    app.state.upload_worker = UploadWorker(settings.db, folder=spool_folder(settings.db, settings.upload_spool),
                                           threads=settings.upload_workers)
    places = Places(settings.max_active_requests, settings.admission_wait_s)
    # alerts refreshed after batches, off the request, taking their turn with the requests
    app.state.alert_refresher = AlertRefresher(settings.db, gate=places.background)
    errors.install(app)
    install_docs(app)  # Swagger UI from the installed package, not a CDN

    # innermost first: a waiting request has its id, and a body over the limit is refused before it waits
    app.add_middleware(Admission, places=places)
    app.add_middleware(RequestId)
    app.add_middleware(BodyLimit, limit=settings.max_upload_bytes)
    for module in (health, session, convert, regions, enterprises, revisions, submission_forms, screenings, alerts,
                   audit, jobs, tokens, plans, projects, uploads, dashboard):
        app.include_router(module.router, responses=errors.ERROR_RESPONSES)
    return app

"""Dependencies shared by the routes: the database, the settings, the caller, their rights and the rows they name.

Declare a role dependency (``Reader``, ``Submitter`` …) before ``EnterpriseDep`` or ``RegionDep`` in a route's
parameters: dependencies run in that order, so a caller without the role hears 403 before anything is looked up.
"""

from __future__ import annotations

import os
import threading
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.settings import Settings
from carbon.access import Principal, authenticate
from carbon.errors import NotFound
from carbon.reports.refresh import AlertRefresher
from carbon.store import Store, is_postgresql, open_store


# Dependencies that do no I/O are ``async``: FastAPI runs a plain ``def`` dependency on a worker thread, a hop
# that costs more than the work.
async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


async def get_store(settings: SettingsDep) -> AsyncIterator[Store]:
    """One connection per request, never shared by two requests at once; a SQLite connection left idle by an
    earlier request is reused (opening one costs its pragmas and the migration check, ~1 ms of CPU). Opening and
    closing run on a worker thread; handing out an idle one does not wait for one."""
    store = _IDLE.take_idle(settings.db) or await run_in_threadpool(_IDLE.open, settings.db)
    try:
        yield store
    finally:
        if not _IDLE.keep(store):
            await run_in_threadpool(store.close)


class _IdleStores:
    """SQLite stores between requests, by database file; at most ``limit`` of them in all.

    A store comes back only outside a transaction; it is handed out again only while its file is the one it
    opened (a database removed and made anew at the same path gets new connections).
    """

    def __init__(self, limit: int = 32) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._idle: list[tuple[str, tuple[int, int], Store]] = []
        self._out: dict[int, tuple[int, int] | None] = {}  # stores handed out: the file each opened on

    @staticmethod
    def _identity(path: str) -> tuple[int, int] | None:
        try:
            status = os.stat(path)
        except OSError:
            return None
        return status.st_dev, status.st_ino

    def take_idle(self, db: str) -> Store | None:
        """An idle store of ``db``, if there is one."""
        if is_postgresql(db) or db == ":memory:":
            return None
        identity = self._identity(db)
        with self._lock:
            for position in range(len(self._idle) - 1, -1, -1):
                path, opened_on, store = self._idle[position]
                if path == db and opened_on == identity:
                    del self._idle[position]
                    self._out[id(store)] = opened_on
                    return store
        return None

    def open(self, db: str) -> Store:
        """A new store of ``db`` (opens a connection: on a worker thread)."""
        if is_postgresql(db) or db == ":memory:":
            return open_store(db)
        identity = self._identity(db)
        store = open_store(db)
        with self._lock:
            self._out[id(store)] = identity if identity is not None else self._identity(db)
        return store

    def keep(self, store: Store) -> bool:
        """Keep ``store`` for a later request, if it may be (else the caller closes it: another engine, a
        transaction left open, too many idle)."""
        with self._lock:
            opened_on = self._out.pop(id(store), None)
            if opened_on is not None and not store.conn.in_transaction and len(self._idle) < self.limit:
                self._idle.append((store.path, opened_on, store))
                return True
        return False


_IDLE = _IdleStores()


DbDep = Annotated[Store, Depends(get_store)]


async def get_alert_refresher(request: Request) -> AlertRefresher:
    return request.app.state.alert_refresher


RefresherDep = Annotated[AlertRefresher, Depends(get_alert_refresher)]

_bearer = HTTPBearer(auto_error=False, description="a token from `carbon token create`")


# The dependencies below run on the event loop (``async``): each is one indexed read of a few microseconds, cheaper
# than the hop to a worker thread that a plain ``def`` costs on every request.

async def current_principal(db: DbDep, settings: SettingsDep,
                            credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
                            ) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise HTTPException(401, "missing bearer token; send `Authorization: Bearer <token>` "
                                 "(create one with `carbon token create`)")
    principal = authenticate(db, credentials.credentials, admin_token=settings.admin_token)
    if principal is None:
        raise HTTPException(401, "invalid, revoked or expired token; ask an administrator for a new one")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require(*roles: str) -> Callable[[Principal], Principal]:
    """A dependency that lets only the given roles through (403 with who may, otherwise)."""

    async def check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in roles:
            raise HTTPException(403, f"the {principal.role} role may not do this; allowed: {', '.join(roles)}")
        return principal

    return check


def _no_enterprise(enterprise_id: str) -> HTTPException:
    # The same answer whether the enterprise does not exist or lies outside the caller's scope.
    return HTTPException(404, f"no enterprise {enterprise_id!r}; GET /v1/enterprises lists the enterprises you may "
                              "see (a bureau user registers one with POST /v1/enterprises)")


def enterprise_scope(enterprise_id: str, principal: Principal) -> None:
    """404 — never data, never a hint of its existence — when an enterprise token asks for another enterprise."""
    if not principal.scope.allows(enterprise_id):
        raise _no_enterprise(enterprise_id)


def visible_enterprise(db: Store, principal: Principal, enterprise_id: str) -> dict[str, Any]:
    """The enterprise's row when it exists and the caller may see it; 404 otherwise, alike in both cases."""
    enterprise_scope(enterprise_id, principal)
    try:
        return db.get_enterprise(enterprise_id, principal.scope)
    except NotFound:
        raise _no_enterprise(enterprise_id) from None


async def path_enterprise(enterprise_id: Annotated[str, Path(description="enterprise id, e.g. GZHTZ-0001")],
                          db: DbDep, principal: CurrentPrincipal) -> dict[str, Any]:
    """The enterprise of an ``/v1/enterprises/{enterprise_id}/…`` route, checked once: in scope and registered."""
    return visible_enterprise(db, principal, enterprise_id)


EnterpriseDep = Annotated[dict[str, Any], Depends(path_enterprise)]


def existing_region(db: Store, code: str) -> dict[str, Any]:
    """The region's row; 404 saying how to create it otherwise."""
    try:
        return db.get_region(code)
    except NotFound:
        raise HTTPException(404, f"no region {code!r}; create it with POST /v1/regions") from None


async def path_region(code: Annotated[str, Path(description="region code, e.g. gz-htz")],
                      db: DbDep) -> dict[str, Any]:
    """The region of a ``/v1/regions/{code}/…`` route."""
    return existing_region(db, code)


RegionDep = Annotated[dict[str, Any], Depends(path_region)]


Reader = Annotated[Principal, Depends(require("admin", "bureau", "finance", "enterprise"))]
Overseer = Annotated[Principal, Depends(require("admin", "bureau"))]
Analyst = Annotated[Principal, Depends(require("admin", "bureau", "finance"))]
Submitter = Annotated[Principal, Depends(require("admin", "bureau", "enterprise"))]
Admin = Annotated[Principal, Depends(require("admin"))]

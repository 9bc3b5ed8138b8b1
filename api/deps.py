"""Dependencies shared by the routes: the database, the settings, the caller, their rights and the rows they name.

Declare a role dependency (``Reader``, ``Submitter`` …) before ``EnterpriseDep`` or ``RegionDep`` in a route's
parameters: dependencies run in that order, so a caller without the role hears 403 before anything is looked up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.settings import Settings
from carbon.access import Principal, authenticate
from carbon.errors import NotFound
from carbon.store import Store, open_store


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_store(settings: SettingsDep) -> Iterator[Store]:
    """One connection per request: SQLite connections are cheap and must not cross threads mid-transaction."""
    store = open_store(settings.db)
    try:
        yield store
    finally:
        store.close()


DbDep = Annotated[Store, Depends(get_store)]

_bearer = HTTPBearer(auto_error=False, description="a token from `carbon token create`")


def current_principal(db: DbDep, settings: SettingsDep,
                      credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Principal:
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

    def check(principal: CurrentPrincipal) -> Principal:
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


def path_enterprise(enterprise_id: Annotated[str, Path(description="enterprise id, e.g. GZHTZ-0001")],
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


def path_region(code: Annotated[str, Path(description="region code, e.g. gz-htz")], db: DbDep) -> dict[str, Any]:
    """The region of a ``/v1/regions/{code}/…`` route."""
    return existing_region(db, code)


RegionDep = Annotated[dict[str, Any], Depends(path_region)]


Reader = Annotated[Principal, Depends(require("admin", "bureau", "finance", "enterprise"))]
Overseer = Annotated[Principal, Depends(require("admin", "bureau"))]
Analyst = Annotated[Principal, Depends(require("admin", "bureau", "finance"))]
Submitter = Annotated[Principal, Depends(require("admin", "bureau", "enterprise"))]
Admin = Annotated[Principal, Depends(require("admin"))]

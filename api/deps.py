"""Dependencies shared by the routes: the database, the settings, the caller and their rights."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.settings import Settings
from carbon.access import Principal, authenticate
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


def enterprise_scope(enterprise_id: str, principal: Principal) -> None:
    """404 — never data, never a hint — when an enterprise token asks for another enterprise."""
    if not principal.scope.allows(enterprise_id):
        raise HTTPException(404, f"no enterprise {enterprise_id!r}")


Reader = Annotated[Principal, Depends(require("admin", "bureau", "finance", "enterprise"))]
Overseer = Annotated[Principal, Depends(require("admin", "bureau"))]
Analyst = Annotated[Principal, Depends(require("admin", "bureau", "finance"))]
Submitter = Annotated[Principal, Depends(require("admin", "bureau", "enterprise"))]
Admin = Annotated[Principal, Depends(require("admin"))]

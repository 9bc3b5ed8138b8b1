"""Errors as RFC 9457 problem details (``application/problem+json``) with a ``detail`` a person can act on.

Domain errors say what is wrong; this layer maps each class to its status and, where the message alone does not
say how to fix it, adds the HTTP way to do so. Anything else is a fault of the service: a logged 500.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.schemas.common import Problem
from carbon.errors import Busy, CarbonError, Conflict, InvalidInput, NotFound
from carbon.reports import MissingTarget
from carbon.store import transient_errors

log = logging.getLogger("carbon.api")

PROBLEM = "application/problem+json"
RETRY_AFTER_S = 2  # a locked database is released within a transaction's time

# Status of each domain error class (the nearest class in the error's MRO wins); other CarbonErrors are 422.
STATUS: dict[type[CarbonError], int] = {InvalidInput: 422, NotFound: 404, Conflict: 409, Busy: 503}

# How to fix it, in HTTP terms, where the domain's message only says what is wrong.
HINTS: dict[type[CarbonError], str] = {
    MissingTarget: "set the targets with POST /v1/regions (code, name and targets: intensity_base_year, "
                   "intensity_base_value, intensity_target_year, intensity_target_value)",
    Busy: f"try again in {RETRY_AFTER_S} s",
}


def _problem_response(description: str) -> dict[str, Any]:
    return {"model": Problem, "description": description,
            "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}}


# Declared on every route so that the OpenAPI document describes the errors it really sends.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _problem_response("the body is not valid JSON or multipart"),
    401: _problem_response("missing, invalid, revoked or expired token"),
    403: _problem_response("the caller's role may not do this"),
    404: _problem_response("no such resource (or not in the caller's scope)"),
    409: _problem_response("conflicts with what is stored"),
    413: _problem_response("request body too large"),
    415: _problem_response("a file type the service does not read"),
    422: _problem_response("the request cannot be used as it is; detail and errors say what to change"),
    500: _problem_response("the service failed; report the request_id"),
    503: _problem_response("the service cannot take this write now; try again after Retry-After seconds"),
}


def _nearest(table: dict[type[CarbonError], Any], error: CarbonError) -> Any:
    return next((table[kind] for kind in type(error).__mro__ if kind in table), None)


def domain_problem(error: CarbonError, request: Request | None = None) -> JSONResponse:
    """The problem document of a domain error: its status, its message and, where known, how to fix it."""
    status = _nearest(STATUS, error) or 422
    hint = _nearest(HINTS, error)
    detail = f"{error}; {hint}" if hint else str(error)
    headers = {"Retry-After": str(RETRY_AFTER_S)} if status == 503 else None
    return problem(status, detail, request, headers=headers)


def problem(status: int, detail: str, request: Request | None = None, *, headers: dict[str, str] | None = None,
            **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status, "detail": detail}
    if request is not None:
        body["instance"] = request.url.path
        request_id = getattr(request.state, "request_id", None)
        if request_id:
            body["request_id"] = request_id
    body.update(extra)
    headers = dict(headers or {})
    if status == 401:
        headers.setdefault("WWW-Authenticate", "Bearer")
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers or None)


def _location(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(parts) or "body"


def _allowed_methods(app: FastAPI, path: str) -> str | None:
    """The methods the OpenAPI document lists for a path (Starlette's 405 names only the first route's)."""
    patterns = getattr(app.state, "path_patterns", None)
    if patterns is None:
        patterns = [(re.compile("^" + re.sub(r"\{[^/]+\}", "[^/]+", template) + "$"),
                     ", ".join(sorted(method.upper() for method in item)))
                    for template, item in app.openapi()["paths"].items()]
        app.state.path_patterns = patterns
    return next((methods for pattern, methods in patterns if pattern.match(path)), None)


def _reason(error: Mapping[str, Any]) -> str:
    """A validation message a person can act on (pydantic's own, but for text that is not Unicode)."""
    message = str(error.get("msg", "invalid"))
    if "unicode string" in message:  # a lone surrogate (\ud800) decodes to no character at all
        return "is not valid Unicode text (it holds a lone surrogate); send the text as UTF-8"
    return message


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into a problem document."""

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        # keep the exception's headers: Allow on 405, WWW-Authenticate on 401
        headers = dict(error.headers or {})
        if error.status_code == 405:
            allowed = _allowed_methods(app, request.url.path)
            if allowed:
                headers["Allow"] = allowed
        return problem(error.status_code, str(error.detail), request, headers=headers)

    @app.exception_handler(HTTPException)
    async def fastapi_http_error(request: Request, error: HTTPException) -> JSONResponse:
        return problem(error.status_code, str(error.detail), request, headers=error.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
        errors = [{"field": _location(e.get("loc", ())), "reason": _reason(e)} for e in error.errors()]
        detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors[:5])
        return problem(422, f"invalid request — {detail}", request, errors=errors[:50])

    @app.exception_handler(CarbonError)
    async def carbon_error(request: Request, error: CarbonError) -> JSONResponse:
        return domain_problem(error, request)

    async def transient(request: Request, error: Exception) -> JSONResponse:
        if any(word in str(error).lower() for word in ("locked", "busy")):
            # another writer held the database longer than the busy timeout: the client's request was fine
            return domain_problem(Busy("the database is busy with another write"), request)
        return await unexpected(request, error)

    for kind in transient_errors(postgresql=True):  # registered before any connection is opened
        app.add_exception_handler(kind, transient)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        # A programming error, never the client's: no ValueError or KeyError is taken for bad input here.
        log.exception("unhandled error on %s %s request_id=%s", request.method, request.url.path,
                      getattr(request.state, "request_id", None))
        return problem(500, "the service failed on this request; it has been logged — try again, and report the "
                            "request_id if it persists", request)

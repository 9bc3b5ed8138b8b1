"""The dashboard: one page served by the service itself (no CDN), its scripts and styles.

The page and its assets need no token: they hold no data. The scripts call the JSON API with the bearer token the
user pastes (kept in the browser's ``localStorage``), so every number on the page passes the same checks as any
other API call.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

router = APIRouter(tags=["dashboard"], include_in_schema=False)

DASHBOARD_DIR = Path(__file__).resolve().parent.parent / "dashboard"

# The page works offline: everything comes from this service. The policy makes the browser refuse anything else
# (a stray CDN link fails loudly in development instead of silently in a closed network). ECharts sets inline
# styles on its tooltips and SVG nodes, hence 'unsafe-inline' for styles only.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                           "img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; object-src 'none'; "
                           "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")

MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}
LICENCE_NAMES = ("LICENSE", "NOTICE")

_HEADERS = {"Content-Security-Policy": CONTENT_SECURITY_POLICY, "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer", "Cache-Control": "no-cache"}


def resolve_asset(relative: str, root: Path = DASHBOARD_DIR) -> Path:
    """The file under ``root`` that ``relative`` names, refusing anything that leaves ``root``.

    Parameters
    ----------
    relative : str
        The path after ``/static/`` (``js/app.js``, ``vendor/echarts.min.js``).
    root : Path
        The dashboard folder.

    Returns
    -------
    Path
        An existing regular file inside ``root``.

    Raises
    ------
    HTTPException
        404 when the file does not exist, is a folder, or lies outside ``root`` (``..``, absolute paths, links).
    """
    base = root.resolve()
    candidate = (base / relative).resolve()
    if not relative or not candidate.is_relative_to(base) or not candidate.is_file():
        raise HTTPException(404, f"no dashboard file {relative!r}")
    return candidate


def media_type(path: Path) -> str:
    """The Content-Type to serve ``path`` with (licence files as UTF-8 text)."""
    if path.suffix in MEDIA_TYPES:
        return MEDIA_TYPES[path.suffix]
    if path.name.startswith(LICENCE_NAMES):
        return "text/plain; charset=utf-8"
    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"


@router.api_route("/", methods=["GET", "HEAD"])
def dashboard_page() -> FileResponse:
    """The dashboard page (region overview, enterprise page, screening form)."""
    return FileResponse(DASHBOARD_DIR / "index.html", media_type=MEDIA_TYPES[".html"], headers=_HEADERS)


@router.api_route("/static/{relative:path}", methods=["GET", "HEAD"])
def dashboard_asset(relative: str) -> FileResponse:
    """A script, style sheet, vendored library or licence file of the dashboard."""
    path = resolve_asset(relative)
    return FileResponse(path, media_type=media_type(path), headers=_HEADERS)

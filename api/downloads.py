"""File responses for exports."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from fastapi import Response
from fastapi.responses import JSONResponse

MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


# Declared on export routes: what the 200 answer may be.
EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "the export (JSON, or a CSV/XLSX attachment)",
          "content": {"application/json": {}, MEDIA["csv"]: {}, MEDIA["xlsx"]: {}, MEDIA["docx"]: {}}},
}


def download(content: bytes | None, kind: str, name: str, payload: Any = None) -> Response:
    """A JSON body, or a CSV/XLSX attachment named ``<name>.<kind>``."""
    if kind == "json":
        return JSONResponse(payload)
    plain = re.sub(r"[^A-Za-z0-9._-]+", "_", name) or "export"  # ASCII fallback; the real name follows (RFC 6266)
    disposition = f"attachment; filename=\"{plain}.{kind}\"; filename*=UTF-8''{quote(name)}.{kind}"
    return Response(content, media_type=MEDIA[kind], headers={"Content-Disposition": disposition})

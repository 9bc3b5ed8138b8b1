"""Checks of a multipart upload that the route's parameters cannot express."""

from __future__ import annotations

from fastapi import HTTPException, Request


async def one_file_part(request: Request) -> None:
    """Refuse an upload with several ``file`` parts (only one would be read; the others would be lost silently).

    Starlette keeps the parsed form on the request, so the route reads the same form without parsing it again.
    """
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        return
    form = await request.form()
    files = form.getlist("file")
    if len(files) > 1:
        raise HTTPException(422, f"the upload holds {len(files)} parts named 'file'; send one file per request")

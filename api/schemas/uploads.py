"""Upload jobs: a large file upload answered 202, then followed at its status URL until done or failed."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from api.schemas.revisions import SubmissionOut

__all__ = ["UploadOut", "UploadProgress"]


class UploadProgress(BaseModel):
    rows_read: int = Field(description="rows read and stored so far (counted per chunk of the file) [rows]")


class UploadOut(BaseModel):
    """An upload job: ``queued``, ``running`` (with progress), ``done`` (with the reply a synchronous upload
    gives: counts, rejections, revisions, held) or ``failed`` (with a reason that says what to do next)."""

    id: int
    status: Literal["queued", "running", "done", "failed"]
    status_url: str = Field(description="GET it until the status is done or failed")
    enterprise_id: str
    source: str = Field(description="the uploaded file's name")
    bytes: int = Field(description="size of the uploaded file [B]")
    queued_at: str
    started_at: str | None = None
    finished_at: str | None = None
    progress: UploadProgress | None = Field(default=None, description="while running, when known")
    result: SubmissionOut | None = Field(default=None, description="when done: what the batch did, row by row")
    error: str | None = Field(default=None, description="when failed: what went wrong and what to do next")

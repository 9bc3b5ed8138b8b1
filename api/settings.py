"""Service settings, read from the environment and validated at start-up."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from carbon.ingest.readers.limits import DEFAULT_LIMITS, ReaderLimits


class Settings(BaseSettings):
    """Configuration of the HTTP service (environment variables prefixed ``CARBON_``)."""

    model_config = SettingsConfigDict(env_prefix="CARBON_", extra="ignore")

    db: str = Field(default=str(Path("data") / "carbon.db"), description="SQLite database file")
    admin_token: str | None = Field(default=None, description="accepted as an admin bearer token when set")
    max_upload_mb: float = Field(default=20.0, gt=0, le=1024, description="largest accepted request body [MB]")
    scheduler: bool = Field(default=True, description="run the scheduled jobs inside the API process")
    token_days: int = Field(default=365, gt=0, le=3650, description="lifetime of new tokens [days]")
    max_file_rows: int = Field(default=DEFAULT_LIMITS.max_rows, gt=0, description="records per file")
    max_file_columns: int = Field(default=DEFAULT_LIMITS.max_columns, gt=0, description="columns per file")
    max_line_kb: int = Field(default=DEFAULT_LIMITS.max_line_bytes // 1024, gt=0, le=100_000,
                             description="longest line of a text file [KiB]")
    max_json_depth: int = Field(default=DEFAULT_LIMITS.max_json_depth, gt=1, le=500,
                                description="nesting depth of a JSON file")
    max_unpacked_mb: float = Field(default=DEFAULT_LIMITS.max_unpacked_bytes / 2**20, gt=0,
                                   description="unpacked size of a workbook [MiB]")
    max_compression_ratio: float = Field(default=DEFAULT_LIMITS.max_compression_ratio, gt=1,
                                         description="unpacked / packed size of a workbook part")
    max_shared_strings: int = Field(default=DEFAULT_LIMITS.max_shared_strings, gt=0,
                                    description="distinct texts of a workbook")
    max_read_seconds: float = Field(default=DEFAULT_LIMITS.max_seconds, gt=0, description="reading one file [s]")
    upload_async_bytes: int = Field(default=2**20, ge=0, description="uploads larger than this are queued as jobs "
                                                                     "and answered 202 with a status URL [B]")
    upload_workers: int = Field(default=1, ge=1, le=8, description="upload jobs run at once by this process")
    upload_queue: int = Field(default=50, ge=1, le=10_000, description="upload jobs that may wait on this host; "
                                                                       "more answer 503 with Retry-After")
    max_active_requests: int = Field(default=2, ge=0, le=1000,
                                     description="API requests one process works on at once, reads at most all "
                                                 "but one, submissions let in first; the others wait (0: no limit)")
    admission_wait_s: float = Field(default=30.0, gt=0, le=600,
                                    description="how long a request waits to be let in before it is answered 503 "
                                                "with Retry-After [s]")
    upload_spool: str | None = Field(default=None, description="folder for the files of queued uploads (default: "
                                                               "beside the database, `carbon.db.uploads/`)")

    @field_validator("admin_token")
    @classmethod
    def _strong_enough(cls, value: str | None) -> str | None:
        if value is not None and len(value) < 16:
            raise ValueError("CARBON_ADMIN_TOKEN must be at least 16 characters; use `carbon token create` "
                             "or a long random string")
        return value

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    @property
    def reader_limits(self) -> ReaderLimits:
        """The bounds of every file reader (``CARBON_MAX_FILE_ROWS``, ``CARBON_MAX_UNPACKED_MB`` …)."""
        return ReaderLimits(max_rows=self.max_file_rows, max_columns=self.max_file_columns,
                            max_line_bytes=self.max_line_kb * 1024, max_json_depth=self.max_json_depth,
                            max_unpacked_bytes=int(self.max_unpacked_mb * 2**20),
                            max_compression_ratio=self.max_compression_ratio,
                            max_shared_strings=self.max_shared_strings, max_seconds=self.max_read_seconds)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()

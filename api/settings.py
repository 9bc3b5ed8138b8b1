"""Service settings, read from the environment and validated at start-up."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Configuration of the HTTP service (environment variables prefixed ``CARBON_``)."""

    model_config = SettingsConfigDict(env_prefix="CARBON_", extra="ignore")

    db: str = Field(default=str(Path("data") / "carbon.db"), description="SQLite database file")
    admin_token: str | None = Field(default=None, description="accepted as an admin bearer token when set")
    max_upload_mb: float = Field(default=20.0, gt=0, le=1024, description="largest accepted request body [MB]")
    scheduler: bool = Field(default=True, description="run the scheduled jobs inside the API process")
    token_days: int = Field(default=365, gt=0, le=3650, description="lifetime of new tokens [days]")

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


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()

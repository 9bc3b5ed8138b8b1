"""Tokens and the caller's session."""

from __future__ import annotations

from pydantic import BaseModel, Field, model_validator

from carbon.access import Role

__all__ = ["TokenIn", "TokenInfoOut", "TokenOut", "WhoamiOut"]


class TokenIn(BaseModel):
    role: Role
    enterprise_id: str | None = Field(default=None, max_length=64,
                                      description="the enterprise an enterprise token acts for (that role only)")
    label: str | None = Field(default=None, max_length=200)
    days: int = Field(default=365, gt=0, le=3650)

    @model_validator(mode="after")
    def _bound_to_enterprise(self) -> TokenIn:
        if self.role == "enterprise" and not self.enterprise_id:
            raise ValueError("an enterprise token acts for one enterprise: give its enterprise_id")
        if self.role != "enterprise" and self.enterprise_id:
            raise ValueError(f"a {self.role} token is not bound to an enterprise: leave out enterprise_id")
        return self


class TokenOut(BaseModel):
    id: str
    token: str = Field(description="shown once; store it now")
    role: str
    enterprise_id: str | None = None


class TokenInfoOut(BaseModel):
    """A token without its secret (only its hash is stored, and not even that is shown)."""

    id: str
    role: str
    enterprise_id: str | None
    label: str | None
    created_at: str
    expires_at: str | None
    revoked_at: str | None


class WhoamiOut(BaseModel):
    role: str
    enterprise_id: str | None = Field(description="for an enterprise token, its enterprise")
    token_id: str

"""What the auth API accepts and returns."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from optirec.auth.security import Role, password_weakness
from optirec.inputs import Input

Email = str


class RegisterRequest(Input):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", description="Your e-mail address.")
    password: str = Field(
        min_length=10,
        max_length=200,
        description="At least 10 characters, and not easy to guess: no common password, name, keyboard pattern or "
        "repeat, nor a variation of the e-mail address.",
    )
    session_id: str | None = Field(
        None,
        max_length=128,
        description="The anonymous session to link (its signals become yours); it must be the session of the "
        "`X-Session-Token` sent with the request, which alone is enough.",
    )

    @model_validator(mode="after")
    def _strong(self) -> RegisterRequest:
        weakness = password_weakness(self.password, hints=[self.email, self.email.split("@")[0]])
        if weakness is not None:
            raise ValueError(f"password: {weakness}")
        return self


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    customer_id: str


class SessionResponse(BaseModel):
    """An anonymous shopper's session and the token that proves it is theirs."""

    session_id: str = Field(description="The session's id, as signals and served lists name it.")
    session_token: str = Field(
        description="Send it as `X-Session-Token` to read and write this session, and when signing in to make its "
        "history yours. Keep it like a password: whoever holds it sees this session's history."
    )
    expires_in: int = Field(description="Seconds until it expires; ask again with it to renew it.")


class ApiKeyCreate(Input):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    role: Literal["service", "admin"] = "service"


class ApiKeyPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    role: Role
    created_at: datetime
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyPublic):
    key: str = Field(description="The secret key. It is shown this once and stored only as a digest.")

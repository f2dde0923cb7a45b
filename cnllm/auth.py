"""What an auth is to the client skeleton: it prepares each attempt and may be renewable.

A vendor supplies one of these (a static header, an OAuth token, an IAM signature, a minted
bearer token); the skeleton calls ``authorize`` before every attempt and, when a call fails
with an error the auth recognises as a stale credential, ``invalidate`` then one renewal.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from cnllm.errors import CnLLMError
    from cnllm.retry import RetryBudget
    from cnllm.transport import HttpRequest


class Auth(Protocol):
    """Credentials for one client. ``authorize`` returns the prepared request and the token it
    used (None when nothing renewable was used), so a renewal drops exactly that token.

    ``budget`` is the retry budget of the call being authorized: a token fetch spends its
    retries from it, so a dead token endpoint costs a call max_retries + 1 requests in all."""

    @property
    def can_refresh(self) -> bool: ...

    def authorize(
        self, request: HttpRequest, budget: RetryBudget | None = None
    ) -> tuple[HttpRequest, str | None]: ...

    async def aauthorize(
        self, request: HttpRequest, budget: RetryBudget | None = None
    ) -> tuple[HttpRequest, str | None]: ...

    def is_stale(self, error: CnLLMError) -> bool:
        """True if ``error`` means the credential used has expired or was revoked."""
        ...

    def invalidate(self, token: str | None) -> None: ...


class StaticHeaders:
    """A fixed set of headers (an API key as a bearer, say): nothing to renew."""

    def __init__(self, headers: Mapping[str, str]) -> None:
        self._headers = dict(headers)

    def __repr__(self) -> str:  # never the key
        return f"StaticHeaders({sorted(self._headers)})"

    @property
    def headers(self) -> dict[str, str]:
        return dict(self._headers)

    @property
    def can_refresh(self) -> bool:
        return False

    def authorize(
        self, request: HttpRequest, budget: RetryBudget | None = None
    ) -> tuple[HttpRequest, str | None]:
        return request.with_auth(headers=self._headers), None

    async def aauthorize(
        self, request: HttpRequest, budget: RetryBudget | None = None
    ) -> tuple[HttpRequest, str | None]:
        return request.with_auth(headers=self._headers), None

    def is_stale(self, error: CnLLMError) -> bool:
        return False

    def invalidate(self, token: str | None) -> None:
        return None

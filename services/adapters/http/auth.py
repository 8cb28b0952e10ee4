"""Bearer-token authentication and role checks as FastAPI dependencies.

One dependency per role check: a route declares `principal: Principal = Depends(allow(...))`
and never decides authorisation itself. Refusals are audited by the caller's audit hook.
"""

from collections.abc import Callable

from fastapi import Request

from services.adapters.clock import Clock
from services.adapters.db.tokens import TokenError, TokenStore
from services.adapters.http.problems import ApiProblem
from services.domain.access import Action, Principal, may

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="mixflow"'}


class Authenticator:
    def __init__(self, tokens: TokenStore, clock: Clock) -> None:
        self._tokens = tokens
        self._clock = clock

    def principal(self, request: Request) -> Principal:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiProblem(
                401,
                "Authentication required",
                "send `Authorization: Bearer <token>`",
                headers=CHALLENGE,
            )
        try:
            return self._tokens.verify(token.strip(), now=self._clock.now())
        except TokenError as exc:
            raise ApiProblem(401, "Invalid token", str(exc), headers=CHALLENGE) from None

    def allow(self, action: Action) -> Callable[[Request], Principal]:
        """A dependency that admits only principals whose role may take `action`."""

        def dependency(request: Request) -> Principal:
            principal = self.principal(request)
            if not may(principal, action):
                raise ApiProblem(403, "Forbidden", f"role {principal.role} may not {action}")
            return principal

        return dependency

"""The shared base of the Prometheus and Alertmanager clients: one httpx client, always a timeout."""

from __future__ import annotations

from typing import Self

import httpx

from alertdrill.runtime.timeouts import TIMEOUTS


class ApiClient:
    """An HTTP API at a base URL; `transport` lets tests use `httpx.MockTransport`."""

    def __init__(
        self, base_url: str, timeout: float = TIMEOUTS.api_request, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout, transport=transport)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def answers(self) -> bool:
        """Any HTTP answer at all to `/-/ready` (a proxy's 404 too): False only when it cannot be reached."""
        try:
            self._http.get("/-/ready")
            return True
        except httpx.HTTPError:
            return False

    def is_ready(self) -> bool:
        """`/-/ready` answers 200 (both servers expose it); False while it cannot be reached."""
        try:
            return self._http.get("/-/ready").status_code == 200
        except httpx.HTTPError:
            return False

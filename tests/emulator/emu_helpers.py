"""Helpers for the emulator tests: a tiny Qianfan client built on requests."""

from __future__ import annotations

import json
from typing import Any

import requests

from cnllm.emulator import Emulator

PREFIX = "/rpc/2.0/ai_custom/v1/wenxinworkshop"


class Client:
    """A thin requests wrapper that speaks to one emulator with one access token."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.session = requests.Session()
        self._token: str | None = None

    @property
    def base(self) -> str:
        return self.emulator.base_url

    def new_token(self, client_id: str = "ak", client_secret: str = "sk") -> requests.Response:
        params = {"grant_type": "client_credentials", "client_id": client_id,
                  "client_secret": client_secret}
        return self.session.post(f"{self.base}/oauth/2.0/token", params=params, json={})

    @property
    def token(self) -> str:
        if self._token is None:
            self._token = str(self.new_token().json()["access_token"])
        return self._token

    def url(self, kind: str, endpoint: str) -> str:
        return f"{self.base}{PREFIX}/{kind}/{endpoint}"

    def post(self, kind: str, endpoint: str, body: Any, **kwargs: Any) -> requests.Response:
        params = {"access_token": self.token}
        return self.session.post(self.url(kind, endpoint), params=params, json=body, **kwargs)

    def chat(self, body: dict[str, Any], endpoint: str = "completions", **kw: Any) -> Any:
        return self.post("chat", endpoint, body, **kw).json()

    def ask(self, content: str, endpoint: str = "completions", **fields: Any) -> Any:
        return self.chat({"messages": [{"role": "user", "content": content}], **fields}, endpoint)


def user(content: str) -> dict[str, str]:
    return {"role": "user", "content": content}


def sse_objects(response: requests.Response) -> list[dict[str, Any]]:
    """Parse ``data: {json}`` lines of a v1 stream."""
    objects = []
    for line in response.iter_lines(decode_unicode=True):
        if line and line.startswith("data: "):
            objects.append(json.loads(line[len("data: "):]))
    return objects

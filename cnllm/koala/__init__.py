"""Koala 悠然 (a FastChat OpenAI-compatible server): model table, quirks and client."""

from cnllm.koala.client import KoalaClient
from cnllm.koala.protocol import KoalaProtocol

__all__ = ["KoalaClient", "KoalaProtocol"]

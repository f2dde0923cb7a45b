"""Requests exactly as the seed documents send them."""

from __future__ import annotations

from pathlib import Path

import yaml
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes" / "qianfan"


def multi_turn_messages() -> list[BaseMessage]:
    """The seed's multi-turn curl conversation, read from the cassette's recorded request."""
    import json

    data = yaml.safe_load((CASSETTES / "chat_multi_turn.yaml").read_text(encoding="utf-8"))
    body = json.loads(data["interactions"][0]["request"]["body"])
    kinds = {"user": HumanMessage, "assistant": AIMessage}
    return [kinds[m["role"]](content=m["content"]) for m in body["messages"]]

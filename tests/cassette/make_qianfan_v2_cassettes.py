"""Write the Qianfan v2 cassettes from the reference's own examples (tests/seeds/qianfan_v2).

Run from the repo root: ``python -m tests.cassette.make_qianfan_v2_cassettes``. Response bodies
are the reference's text byte for byte (compact JSON; the stream as the reference prints it).
Requests are the reference's where it gives one (§3 chat, §6 embeddings, §8 models, §2.3 token);
the tool-call answer is paired with the first turn of the §3.2 round trip (its user message,
tools and tool_choice; ``"stream": false`` is the default and not sent), and the captured
reasoning answer with the one-word question it answers ("hi"), since the capture omits its
request. Hosts are the real ones: https://qianfan.baidubce.com/v2 and https://iam.bj.baidubce.com.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "tests" / "seeds" / "qianfan_v2"
OUT = ROOT / "cassettes" / "qianfan_v2"
V2 = "https://qianfan.baidubce.com/v2"
IAM = "https://iam.bj.baidubce.com"
JSON_TYPE = {"content-type": ["application/json; charset=utf-8"]}
STREAM_TYPE = {"content-type": ["text/event-stream; charset=utf-8"]}


def text(name: str) -> str:
    return (SEEDS / name).read_text(encoding="utf-8").strip()


def body(name: str) -> Any:
    return json.loads(text(name))


def interaction(
    method: str,
    uri: str,
    request: Any,
    response: str,
    *,
    status: int = 200,
    headers: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    reason = {200: "OK", 201: "Created", 429: "Too Many Requests"}[status]
    return {
        "request": {
            "body": json.dumps(request, ensure_ascii=False) if request is not None else None,
            "headers": {"Content-Type": ["application/json"]} if request is not None else {},
            "method": method,
            "uri": uri,
        },
        "response": {
            "body": {"string": response},
            "headers": {**JSON_TYPE, **(headers or {})},
            "status": {"code": status, "message": reason},
        },
    }


def write(name: str, *interactions: dict[str, Any]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    data = {"interactions": list(interactions), "version": 1}
    rendered = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)
    (OUT / f"{name}.yaml").write_text(rendered, encoding="utf-8")


def main() -> None:
    chat = f"{V2}/chat/completions"
    write("chat", interaction("POST", chat, body("chat_request.json"), text("chat_response.json")))
    round_trip = body("tool_round_trip_request.json")
    first_turn = {
        "model": round_trip["model"],
        "messages": round_trip["messages"][:1],
        "tools": round_trip["tools"],
        "tool_choice": round_trip["tool_choice"],
    }
    write("tool_call", interaction("POST", chat, first_turn, text("tool_call_response.json")))
    ask_hi = {
        "model": "ernie-5.0-thinking-preview",
        "messages": [{"role": "user", "content": "hi"}],
    }
    write("reasoning", interaction("POST", chat, ask_hi, text("reasoning_response.json")))
    streamed = {
        "model": "ernie-4.5-turbo-128k",
        "messages": [{"role": "user", "content": "你好"}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    stream = interaction("POST", chat, streamed, text("chat_stream.sse") + "\n\n")
    stream["response"]["headers"].update(STREAM_TYPE)
    write("chat_stream", stream)
    limited = interaction(
        "POST",
        chat,
        body("chat_request.json"),
        text("error_429.json"),
        status=429,
        headers={"x-ratelimit-remaining-requests": ["0"]},
    )
    write("error_429", limited)
    write(
        "embeddings",
        interaction(
            "POST",
            f"{V2}/embeddings",
            body("embeddings_request.json"),
            text("embeddings_response.json"),
        ),
    )
    write("models", interaction("GET", f"{V2}/models", None, text("models_response.json")))
    token = interaction(
        "GET",
        f"{IAM}/v1/BCE-BEARER/token?expireInSeconds=86400",
        None,
        text("bearer_token_response.json"),
        status=201,
    )
    ask = interaction("POST", chat, body("chat_request.json"), text("chat_response.json"))
    write("minted_token_chat", token, ask)


if __name__ == "__main__":
    main()

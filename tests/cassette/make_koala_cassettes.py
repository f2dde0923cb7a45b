"""Write the Koala cassettes from the seed document's own request/response examples.

Run from the repo root: ``python -m tests.cassette.make_koala_cassettes``. Response bodies are
the seed's verbatim text (tests/seeds/koala/; the two with "...." elisions in their minimal
valid reading, see its README); request bodies are the seed's, plus ``max_tokens`` on the
completion (our client always sends it: FastChat's default is 16 tokens). The host is the one
in the seed's Python example.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from tests.seeds.koala import load

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "cassettes" / "koala"
HOST = "http://192.168.2.59:9015/v1"
JSON_HEADERS = {"content-type": ["application/json"]}


def interaction(method: str, path: str, body: Any, response: str) -> dict[str, Any]:
    return {
        "request": {
            "body": json.dumps(body, ensure_ascii=False) if body is not None else None,
            "headers": {"Content-Type": ["application/json"]},
            "method": method,
            "uri": f"{HOST}/{path}",
        },
        "response": {
            "body": {"string": response},
            "headers": JSON_HEADERS,
            "status": {"code": 200, "message": "OK"},
        },
    }


def write(name: str, *interactions: dict[str, Any]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    data = {"interactions": list(interactions), "version": 1}
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)
    (OUT / f"{name}.yaml").write_text(text, encoding="utf-8")


def main() -> None:
    chat = "chat/completions"
    write(
        "chat",
        interaction("POST", chat, load.body("chat_request.json"), load.text("chat_response.json")),
    )
    write(
        "image_chat",
        interaction(
            "POST", chat, load.body("image_request.json"), load.text("image_response.json")
        ),
    )
    completion = {**load.body("completion_request.json"), "max_tokens": 512}
    write(
        "completion",
        interaction("POST", "completions", completion, load.text("completion_response.json")),
    )
    write(
        "embeddings",
        interaction(
            "POST",
            "embeddings",
            load.body("embeddings_request.json"),
            load.valid_text("embeddings_response.json"),
        ),
    )
    write("models", interaction("GET", "models", None, load.valid_text("models_response.json")))


if __name__ == "__main__":
    main()

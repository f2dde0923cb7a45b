"""Write the DashScope cassettes from the ChatYuan seed's own curl request, answer and error.

Run from the repo root: ``python tests/cassette/make_dashscope_cassettes.py``. Bodies are the
seed's verbatim bytes (tests/seeds/dashscope/, from seed 002, not in this repository):

- ``chatyuan_curl``: the seed's curl body and its answer.
- ``chatyuan_error``: the same request answered by the seed's error example; the seed gives
  no HTTP status, so the reference's catalogue status for InvalidApiKey (401) is used.
- ``chatyuan_chat``: the seed's conversation as ChatDashScope renders it (full-width colons,
  ``小元：`` closing the prompt; see the README) answered by the seed's answer.

To replace these with live recordings, see tests/cassette/README.md.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "tests" / "seeds" / "dashscope"
OUT = ROOT / "cassettes" / "dashscope"
URL = "https://dashscope.aliyuncs.com/api/v1/services/aigc/text-generation/generation"
SEED_QUESTION = "帮我写个请假条,我因为感冒不舒服,需要请假1天,请领导批准"


def seed(name: str) -> str:
    return (SEEDS / name).read_text(encoding="utf-8")


def interaction(body: dict[str, Any], response: str, status: int, message: str) -> dict[str, Any]:
    return {
        "request": {
            "body": json.dumps(body, ensure_ascii=False),
            "headers": {"Content-Type": ["application/json"]},
            "method": "POST",
            "uri": URL,
        },
        "response": {
            "body": {"string": response},
            "headers": {
                "Content-Type": ["application/json"],
                "X-Request-Id": [json.loads(response)["request_id"]],
            },
            "status": {"code": status, "message": message},
        },
    }


def write(name: str, *interactions: dict[str, Any]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    data = {"interactions": list(interactions), "version": 1}
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)
    (OUT / f"{name}.yaml").write_text(text, encoding="utf-8")


def main() -> None:
    curl = json.loads(seed("chatyuan_curl_request.json"))
    answer = seed("chatyuan_curl_response.json")
    write("chatyuan_curl", interaction(curl, answer, 200, "OK"))
    write("chatyuan_error", interaction(curl, seed("chatyuan_error.json"), 401, "Unauthorized"))
    rendered = {**curl, "input": {"prompt": f"用户：{SEED_QUESTION}\\n小元："}}
    write("chatyuan_chat", interaction(rendered, answer, 200, "OK"))


if __name__ == "__main__":
    main()

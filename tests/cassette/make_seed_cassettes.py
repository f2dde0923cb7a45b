"""Write the Qianfan cassettes from the seed documents' own request/response examples.

Run from the repo root: ``python tests/cassette/make_seed_cassettes.py``. The bodies are the
seeds' verbatim bytes (tests/seeds/, from seeds kept outside the repo); the request bodies are the
seeds' curl bodies. To replace these with live recordings instead, see tests/cassette/README.md.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "tests" / "seeds"
OUT = ROOT / "cassettes" / "qianfan"
SEED_003 = ROOT.parent / "shared" / "seeds" / "003_44d54a3a40e6fafc.txt"
HOST = "https://aip.baidubce.com/rpc/2.0/ai_custom/v1/wenxinworkshop"
JSON_HEADERS = {"Content-Type": ["application/json;charset=utf-8"], "Statement": ["AI-generated"]}
SSE_HEADERS = {
    "Content-Type": ["text/event-stream;charset=utf-8"],
    "Cache-Control": ["no-cache"],
    "Statement": ["AI-generated"],
}


def interaction(path: str, body: dict, response: str, headers: dict) -> dict:
    return {
        "request": {
            "body": json.dumps(body, ensure_ascii=False),
            "headers": {"Content-Type": ["application/json"]},
            "method": "POST",
            "uri": f"{HOST}/{path}",
        },
        "response": {
            "body": {"string": response},
            "headers": headers,
            "status": {"code": 200, "message": "OK"},
        },
    }


def curl_body(after: str) -> dict:
    """The JSON body of the first curl command after ``after`` in seed 003."""
    text = SEED_003.read_text(encoding="utf-8")
    start = text.index("-d '", text.index(after)) + 4
    return json.loads(text[start : text.index("}'", start) + 1])


def write(name: str, *interactions: dict) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    data = {"interactions": list(interactions), "version": 1}
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)
    (OUT / f"{name}.yaml").write_text(text, encoding="utf-8")


def seed(name: str) -> str:
    return (SEEDS / name).read_text(encoding="utf-8")


def main() -> None:
    chat = "chat/qianfan_chinese_llama_2_13b"
    write(
        "chat_single_turn",
        interaction(chat, curl_body("请求示例(单轮)"), seed("d003_sync.json"), JSON_HEADERS),
    )
    write(
        "chat_multi_turn",
        interaction(
            chat, curl_body("请求示例(多轮)"), seed("d003_sync_multiturn.json"), JSON_HEADERS
        ),
    )
    write(
        "chat_stream",
        interaction(chat, curl_body("请求示例(流式)"), seed("d003_stream_2023.sse"), SSE_HEADERS),
    )
    write(
        "chat_error_110",
        interaction(chat, curl_body("请求示例(单轮)"), seed("d003_error.json"), JSON_HEADERS),
    )
    completions = "completions/my_cerebras_api"
    prompt = {"prompt": "introduce the city beijing"}
    write("completion", interaction(completions, prompt, seed("d004_sync.json"), JSON_HEADERS))
    write(
        "completion_stream",
        interaction(completions, {**prompt, "stream": True}, seed("d004_stream.sse"), SSE_HEADERS),
    )
    assert (
        re.search(r"access_token=[A-Za-z0-9]", "".join(p.read_text() for p in OUT.glob("*.yaml")))
        is None
    )


if __name__ == "__main__":
    main()

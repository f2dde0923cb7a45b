"""Write the ClueAI cassettes from the seed's own examples.

Run from the repo root: ``python tests/cassette/make_clueai_cassettes.py``.

Requests: the seed's five curl commands (tests/seeds/clueai/curl_*.sh, verbatim: URL, the
``Model-name`` header and the ``--data`` body byte for byte; the ``Api-Key`` header is a secret
and never stored), and the seed's Python examples for search (query 法律案例) and text2image
(秋日的晚霞 in the 毕加索 style), written out as the HTTP the SDK sends (reference §4.5, §4.8).

Responses: the seed shows no response body. The NER answer is the seed's own "Model output" for
that very input (its 示例输入 section); the others are built in the shapes the SDK parses
(reference §3, §4.3-§4.5, §4.8) and are marked ``constructed`` in their headers. Re-record
against the live service to replace them (tests/cassette/README.md).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "tests" / "seeds" / "clueai"
OUT = ROOT / "cassettes" / "clueai"
JSON = {"Content-Type": ["application/json"]}
CONSTRUCTED = {**JSON, "X-Cassette-Source": ["constructed from the reference's response shape"]}
ENGINE_KEY = "se-law-test-cassette"


def curl(name: str) -> tuple[str, dict[str, list[str]], str]:
    """URL, stored headers (no Api-Key) and the verbatim ``--data`` body of a seed curl."""
    text = (SEEDS / f"{name}.sh").read_text(encoding="utf-8")
    headers = {}
    for line in text.splitlines():
        found = re.search(r"--header '([^:]+): ([^']*)'", line)
        if found and found.group(1).lower() != "api-key":
            headers[found.group(1)] = [found.group(2)]
    body = text[text.index("--data '") + 8 : text.rindex("}'") + 1]
    return text.split("'")[1], headers, body


def seed_output(title: str) -> str:
    text = (SEEDS / "prompt_examples.md").read_text(encoding="utf-8")
    block = text[text.index(f"{title}\n```bash") :]
    start = block.index("Model output:\n") + len("Model output:\n")
    return block[start : block.index("\n```", start)]


def interaction(
    method: str,
    uri: str,
    headers: dict[str, list[str]],
    body: str | None,
    response: str | bytes,
    response_headers: dict[str, list[str]],
) -> dict[str, Any]:
    return {
        "request": {"body": body, "headers": headers, "method": method, "uri": uri},
        "response": {
            "body": {"string": response},
            "headers": response_headers,
            "status": {"code": 200, "message": "OK"},
        },
    }


def post(name: str, response: Any, headers: dict[str, list[str]] = CONSTRUCTED) -> dict[str, Any]:
    uri, request_headers, body = curl(name)
    text = json.dumps(response, ensure_ascii=False)
    return interaction("POST", uri, request_headers, body, text, headers)


class _Plain(yaml.SafeDumper):
    """No ``&id`` anchors for repeated header lists: each cassette reads on its own."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def write(name: str, *interactions: dict[str, Any]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    data = {"interactions": list(interactions), "version": 1}
    text = yaml.dump(data, Dumper=_Plain, allow_unicode=True, sort_keys=False, width=1000)
    (OUT / f"{name}.yaml").write_text(text, encoding="utf-8")


def confidences(*pairs: tuple[str, float]) -> list[dict[str, Any]]:
    return [{"label": label, "confidence": value} for label, value in pairs]


def classification_result(labels: list[str], inputs: list[str]) -> dict[str, Any]:
    first = confidences(
        ("美颜", 0.91), ("办公", 0.04), ("二手", 0.03), ("求职", 0.01), ("外卖", 0.01)
    )
    second = confidences(
        ("二手", 0.88), ("外卖", 0.06), ("美颜", 0.03), ("办公", 0.02), ("求职", 0.01)
    )
    assert {c["label"] for c in first} == set(labels)
    return {
        "result": [
            {"input": inputs[0], "prediction": "美颜", "confidence": first},
            {"input": inputs[1], "prediction": "二手", "confidence": second},
        ]
    }


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from cnllm.emulator.clueai.png import image

    _, _, classify_body = curl("curl_classify_base")
    request = json.loads(classify_body)
    classified = classification_result(request["labels"], request["input_data"])
    write("classify_base", post("curl_classify_base", classified))
    write("classify_large", post("curl_classify_large", classified))
    ner = {"result": [{"generate_text": seed_output("通用信息抽取(generate)")}]}
    write("generate_ner_base", post("curl_generate_ner_base", ner, JSON))
    summary = "十个可穿戴产品的设计原则：解决重复性问题，从人开始，引起注意但不刻意，提升用户能力"
    write(
        "generate_summary_base",
        post("curl_generate_summary_base", {"result": [{"generate_text": summary}]}),
    )
    write(
        "generate_summary_large_bad_key",
        post("curl_generate_summary_large", {"message": "invalid api key"}),
    )
    search = {
        "result": {
            "query": "法律案例",
            "best_answer": "完善法律制定规则 严格监管槟榔产业",
            "answer_score": {
                "最高法发布劳动争议典型案例": 0.61,
                "完善法律制定规则 严格监管槟榔产业": "0.83",
            },
        }
    }
    uri = f"https://clueai.cn/clueai/search/?key={ENGINE_KEY}&query=%E6%B3%95%E5%BE%8B%E6%A1%88%E4%BE%8B"
    write(
        "search",
        interaction(
            "GET",
            uri,
            {**JSON, "Model-name": ["clueai-base"]},
            None,
            json.dumps(search, ensure_ascii=False),
            CONSTRUCTED,
        ),
    )
    text = "毕加索风格，秋日的晚霞"
    uri = "https://clueai.cn/clueai/text2image?text=" + "".join(
        f"%{byte:02X}" for byte in text.encode()
    )
    png = {"Content-Type": ["image/png"], "X-Cassette-Source": ["constructed: the emulator's PNG"]}
    write("text2image", interaction("GET", uri, JSON, None, image(text), png))
    write(
        "text2image_not_an_image",
        interaction("GET", uri, JSON, None, '{"detail": "model overloaded"}', CONSTRUCTED),
    )
    stored = "".join(path.read_text(encoding="utf-8") for path in OUT.glob("*.yaml"))
    assert "BEARER" not in stored and "api_key=" not in stored


if __name__ == "__main__":
    main()

"""The bundled demo corpus: well-formed, sized for a demo, and findable by character n-grams."""

from __future__ import annotations

import json
import re
from collections import Counter
from importlib.resources import files
from typing import Any

import pytest

_CJK = re.compile(r"[\u4e00-\u9fff]")


def _raw() -> bytes:
    return files("cnllm.demo").joinpath("corpus.jsonl").read_bytes()


def _docs() -> list[dict[str, Any]]:
    return [json.loads(line) for line in _raw().decode("utf-8").splitlines()]


def test_utf8_one_json_object_per_line() -> None:
    text = _raw().decode("utf-8")  # raises if not UTF-8
    assert not text.startswith("\ufeff")
    assert text.endswith("\n")
    lines = text.splitlines()
    assert 30 <= len(lines) <= 40
    for line in lines:
        doc = json.loads(line)
        assert set(doc) == {"id", "title", "text"}
        assert all(isinstance(value, str) and value.strip() for value in doc.values())


def test_ids_are_unique_and_well_formed() -> None:
    ids = [doc["id"] for doc in _docs()]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"doc-\d{2}", id_) for id_ in ids)


def test_titles_are_unique() -> None:
    titles = [doc["title"] for doc in _docs()]
    assert len(set(titles)) == len(titles)


def test_text_lengths() -> None:
    for doc in _docs():
        text = doc["text"]
        assert len(_CJK.findall(text)) >= 60, doc["id"]
        assert len(text) <= 160, doc["id"]


def _bigrams(text: str) -> Counter[str]:
    chars = "".join(_CJK.findall(text))
    return Counter(chars[i : i + 2] for i in range(len(chars) - 1))


def _best(question: str, docs: list[dict[str, Any]]) -> str:
    query = _bigrams(question)
    best = max(docs, key=lambda d: sum((query & _bigrams(d["title"] + d["text"])).values()))
    return str(best["title"])


@pytest.mark.parametrize(
    ("question", "title"),
    [
        ("故宫是哪一年建成的？", "故宫"),
        ("端午节为什么要吃粽子、赛龙舟？", "端午节"),
        ("北京烤鸭怎么吃？", "北京烤鸭"),
        ("什么是检索增强生成？", "检索增强生成RAG"),
        ("劳动仲裁的时效是多久？", "法律案例：劳动争议"),
        ("川藏线沿途经过哪些地方？", "川藏线"),
        ("大熊猫主要吃什么？", "大熊猫"),
        ("红楼梦的作者是谁？", "红楼梦"),
        ("向量数据库用什么索引加速最近邻检索？", "向量数据库"),
    ],
)
def test_a_bigram_retriever_finds_the_right_document(question: str, title: str) -> None:
    assert _best(question, _docs()) == title

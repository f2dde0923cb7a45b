"""Completions (seed D004 shape), embeddings (shape, similarity, batch limits), tokenizer."""

from __future__ import annotations

import math

import pytest

from cnllm.emulator.text import count_tokens, embed
from tests.emulator.emu_helpers import Client, sse_objects


def _cosine(left: list[float], right: list[float]) -> float:
    return sum(a * b for a, b in zip(left, right, strict=True))


def test_completion_sync_matches_seed_shape(client: Client) -> None:
    body = client.post("completions", "cerebras_gpt_6_7b", {"prompt": "introduce the city beijing"})
    answer = body.json()
    assert list(answer) == ["id", "object", "created", "result", "is_safe", "usage"]
    assert answer["object"] == "completion" and answer["is_safe"] == 1
    assert answer["usage"]["prompt_tokens"] == 5
    assert body.headers["Statement"] == "AI-generated"


def test_completion_stream(client: Client) -> None:
    response = client.post("completions", "sqlcoder_7b",
                           {"prompt": "introduce the city beijing", "stream": True}, stream=True)
    objects = sse_objects(response)
    assert len(objects) >= 3 and objects[-1]["is_end"] is True
    assert all(o["object"] == "completion" and o["is_safe"] == 1 for o in objects)
    assert "need_clear_history" not in objects[0]
    assert objects[-1]["usage"]["total_tokens"] == 5 + count_tokens(
        "".join(o["result"] for o in objects))


def test_completion_needs_a_prompt(client: Client) -> None:
    assert client.post("completions", "x", {"prompt": ""}).json()["error_code"] == 336003
    assert client.post("completions", "x", {"messages": []}).json()["error_code"] == 336003


def test_completion_honours_stop(client: Client) -> None:
    answer = client.post("completions", "x", {"prompt": "你好", "stop": ["模拟"]}).json()
    assert "模拟" not in answer["result"]


@pytest.mark.parametrize(("endpoint", "dimensions"),
                         [("embedding-v1", 384), ("bge_large_zh", 1024), ("bge_large_en", 1024)])
def test_embeddings_shape(client: Client, endpoint: str, dimensions: int) -> None:
    response = client.post("embeddings", endpoint, {"input": ["foo", "故宫"]})
    body = response.json()
    assert body["object"] == "embedding_list"
    assert [item["index"] for item in body["data"]] == [0, 1]
    assert all(item["object"] == "embedding" for item in body["data"])
    vector = body["data"][0]["embedding"]
    assert len(vector) == dimensions
    assert math.isclose(math.sqrt(sum(v * v for v in vector)), 1.0, rel_tol=1e-4)
    assert body["usage"] == {"prompt_tokens": 3, "total_tokens": 3}
    assert "Statement" not in response.headers


def test_embeddings_are_deterministic_and_similar_texts_are_close(client: Client) -> None:
    texts = ["故宫的历史", "故宫是明清两代的皇宫", "量子计算机的原理"]
    first = [d["embedding"] for d in client.post("embeddings", "embedding-v1",
                                                  {"input": texts}).json()["data"]]
    again = client.post("embeddings", "embedding-v1", {"input": texts[:1]}).json()
    assert again["data"][0]["embedding"] == first[0]
    assert _cosine(first[0], first[1]) > _cosine(first[0], first[2])


def test_embedding_similarity_for_english_words() -> None:
    query = embed("weather in Paris", 384)
    assert _cosine(query, embed("Paris weather is sunny", 384)) > _cosine(
        query, embed("stock market news", 384))


def test_embeddings_batch_limits(client: Client) -> None:
    assert "data" in client.post("embeddings", "embedding-v1", {"input": ["a"] * 16}).json()
    too_many = client.post("embeddings", "embedding-v1", {"input": ["a"] * 17}).json()
    assert too_many["error_code"] == 336003 and "16" in too_many["error_msg"]
    assert "data" in client.post("embeddings", "tao_8k", {"input": ["a"]}).json()
    assert client.post("embeddings", "tao_8k", {"input": ["a", "b"]}).json()["error_code"] == 336003


@pytest.mark.parametrize("payload", [{"input": []}, {"input": [""]}, {}, {"input": "text"}])
def test_embeddings_reject_empty_input(client: Client, payload: dict[str, object]) -> None:
    assert client.post("embeddings", "embedding-v1", payload).json()["error_code"] == 336003


def test_embeddings_reject_overlong_text(client: Client) -> None:
    answer = client.post("embeddings", "embedding-v1", {"input": ["字" * 400]}).json()
    assert answer["error_code"] == 336003


def test_tokenizer_endpoint(client: Client) -> None:
    body = client.post("tokenizer", "erniebot", {"prompt": "你好 world", "model": "ernie-bot"})
    assert body.json()["usage"] == {"total_tokens": 3}

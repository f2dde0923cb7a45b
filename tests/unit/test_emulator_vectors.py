"""The emulator's deterministic vectors: the sparse computation gives the dense one's values,
bit for bit, at a small fraction of its cost."""

from __future__ import annotations

import math
import time

from cnllm.emulator import text


def dense(value: str, dimensions: int) -> list[float]:
    """The original, dense computation (the reference)."""
    vector = [0.0] * dimensions
    for feature in text.features(value) or [value.strip().lower() or "<empty>"]:
        number = text.stable_int("emb", feature)
        sign = 1.0 if number >> 63 else -1.0
        weight = 1.0 if text._CJK_CHAR.match(feature) else 1.5
        vector[number % dimensions] += sign * weight
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [round(v / norm, 6) for v in vector]


SAMPLES = [
    "",
    "  ",
    "a",
    "Hello the world, hello again",
    "劳动争议一般先申请劳动仲裁，对裁决不服再向法院起诉。",
    "故宫 Forbidden City 1420 年建成" * 5,
]


def test_sparse_vectors_equal_the_dense_ones_exactly() -> None:
    for value in SAMPLES + [f"第{i}条：仲裁时效 case {i}" for i in range(50)]:
        for dimensions in (64, 384, 1024, 1536):
            assert text.embed(value, dimensions) == dense(value, dimensions)


def test_a_25_text_answer_costs_little_cpu() -> None:
    texts = [f"第{i}条：劳动合同纠纷的仲裁时效 unique {time.time_ns()} {i}" for i in range(25)]
    start = time.process_time()
    for value in texts:
        text.embed(value, 1536)
    assert time.process_time() - start < 0.005  # the dense computation took ~10 ms


def test_ready_made_vector_json_is_byte_for_byte_what_json_dumps_writes() -> None:
    from cnllm.emulator.core import json_response

    for value in SAMPLES:
        for dimensions in (64, 1536):
            made = json_response({"data": [{"embedding": text.embed_json(value, dimensions)}]})
            dumped = json_response({"data": [{"embedding": text.embed(value, dimensions)}]})
            assert made.body == dumped.body

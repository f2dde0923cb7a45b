"""Which endpoints the emulated Qianfan knows (reference §4.4, §4.5).

An endpoint not in the table is a user-deployed service: a chat model under ``/chat/``, a
completion model under ``/completions/`` (like seed 004's cerebras-gpt-6.7b).
"""

from __future__ import annotations

from dataclasses import dataclass

ERNIE_ENDPOINTS = frozenset(
    {
        "completions_pro",
        "completions_adv_pro",
        "completions",
        "ernie_speed",
        "eb-instant",
        "ernie-4.0-8k-latest",
        "ernie-4.0-8k-0613",
        "ernie-4.0-8k-0329",
        "ernie-4.0-8k-0104",
        "ernie-4.0-8k-preview",
        "ernie-4.0-turbo-8k",
        "ernie-4.0-turbo-8k-latest",
        "ernie-4.0-turbo-8k-preview",
        "ernie-3.5-8k-0205",
        "ernie-3.5-8k-0329",
        "ernie-3.5-8k-0613",
        "ernie-3.5-8k-0701",
        "ernie-3.5-8k-preview",
        "ernie-3.5-128k",
        "ernie-speed-128k",
        "ernie-speed-pro-128k",
        "ernie-speed-pro-8k",
        "ernie-lite-8k",
        "ernie-lite-pro-8k",
        "ernie-lite-v",
        "ernie-tiny-8k",
        "ernie-novel-8k",
        "ernie-char-8k",
        "ernie-char-fiction-8k",
        "ernie-func-8k",
        "ai_apaas",
        "ai_apaas_lite",
        "qianfan-dynamic-8k",
        "ernie_bot_8k",
    }
)
OPEN_ENDPOINTS = frozenset(
    {
        "qianfan_chinese_llama_2_13b",
        "qianfan_chinese_llama_2_7b",
        "qianfan_chinese_llama_2_70b",
        "llama_2_7b",
        "llama_2_13b",
        "llama_2_70b",
        "llama_3_8b",
        "llama_3_70b",
        "bloomz_7b1",
        "qianfan_bloomz_7b_compressed",
        "chatglm2_6b_32k",
        "aquilachat_7b",
        "xuanyuan_70b_chat",
        "yi_34b_chat",
        "mixtral_8x7b_instruct",
        "gemma_7b_it",
        "chatlaw",
    }
)
COMPLETION_ENDPOINTS = frozenset({"sqlcoder_7b", "codellama_7b_instruct"})


@dataclass(frozen=True)
class EmbeddingModel:
    dimensions: int
    batch: int  # texts per request
    max_tokens: int  # per text


EMBEDDINGS = {
    "embedding-v1": EmbeddingModel(384, 16, 384),
    "bge_large_zh": EmbeddingModel(1024, 16, 512),
    "bge_large_en": EmbeddingModel(1024, 16, 512),
    "tao_8k": EmbeddingModel(1024, 1, 8192),
}
DEPLOYED_EMBEDDING = EmbeddingModel(384, 16, 512)


def family(endpoint: str) -> str:
    """``ernie`` (native functions, system), ``open`` (table models) or ``custom``."""
    if endpoint in ERNIE_ENDPOINTS or endpoint.startswith(("ernie", "completions")):
        return "ernie"
    return "open" if endpoint in OPEN_ENDPOINTS | COMPLETION_ENDPOINTS else "custom"


def embedding_model(endpoint: str) -> EmbeddingModel:
    return EMBEDDINGS.get(endpoint, DEPLOYED_EMBEDDING)

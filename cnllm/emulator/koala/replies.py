"""What the emulated Koala models say, and the objects and stream events that carry it.

Shapes follow the seed (001) and the FastChat source: ``chat.completion`` / ``text_completion``
bodies, usage ``{prompt_tokens, total_tokens, completion_tokens}``, streams of deltas.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from .. import schema, text
from .fastchat import event

EMBEDDING_DIMENSIONS = 1024  # text2vec-large-chinese (LERT-large)


@dataclass(frozen=True)
class Reply:
    text: str
    finish_reason: str = "stop"
    reasoning: str = ""  # a reasoning model's thinking, sent before the answer
    reasoning_field: str = ""  # "reasoning_content" (DeepSeek) or "reasoning" (vLLM)


def message(reply: Reply) -> dict[str, Any]:
    """The assistant message of a whole answer."""
    body: dict[str, Any] = {"role": "assistant", "content": reply.text}
    if reply.reasoning_field:
        body[reply.reasoning_field] = reply.reasoning
    return body


@dataclass(frozen=True)
class Turns:
    """A request's messages as FastChat reads them: the last system message wins (§5)."""

    system: str
    last_user: str
    first_user: str
    image: str | None
    prompt: str  # everything the template would render, for token counts
    earlier_user: str = ""  # the user turn before the last, echoed in a default answer


def read_messages(messages: str | list[dict[str, str]]) -> Turns:
    if isinstance(messages, str):  # a raw prompt, no template
        return Turns("", messages, messages, None, messages)
    system, users, image = "", [], None
    for message in messages:
        if message["role"] == "system":
            system = message.get("content", "")
        elif message["role"] == "user":
            users.append(message.get("content", ""))
            image = message.get("images") or image
    contents = [m.get("content", "") for m in messages]
    last = users[-1] if users else ""
    earlier = users[-2] if len(users) > 1 else ""
    return Turns(system, last, users[0] if users else "", image, "\n".join(contents), earlier)


def _emulated(answer: str) -> str:
    return answer.replace("千帆模拟服务", "悠然模拟服务")  # the shared templates name Qianfan


def _image_words(url: str) -> str:
    if url.startswith("data:"):
        return "一张上传的图片"
    name = posixpath.basename(urlsplit(url).path) or url
    return f"图片 {name}"


def chat_reply(turns: Turns, multimodal: bool) -> str:
    if multimodal and turns.image:
        return (
            f"{_image_words(turns.image)}里面有一个确定性的模拟场景：山顶上的停车场停满了车辆。"
            f"关于“{turns.last_user[:30]}”，这是悠然模拟服务对图片的固定描述。"
        )
    instructions = (
        "\n".join([turns.system, turns.first_user])
        if turns.first_user != turns.last_user
        else turns.system
    )
    plain = _emulated(
        text.answer(turns.last_user, instructions, persona=turns.system, earlier=turns.earlier_user)
    )
    return schema.json_answer(instructions, turns.last_user, False, plain) or plain


def completion_reply(prompt: str) -> str:
    return _emulated(text.answer(prompt))


def limit(reply: Reply, stop: Any, max_tokens: int | None) -> Reply:
    """The worker stops at a stop string, or after ``max_tokens`` tokens (``length``)."""
    words = [stop] if isinstance(stop, str) else list(stop or [])
    hits = [reply.text.find(word) for word in words if word and word in reply.text]
    if hits:
        reply = Reply(reply.text[: min(hits)], "stop")
    if max_tokens is not None and text.count_tokens(reply.text) > max_tokens:
        reply = replace(
            reply, text=text.first_tokens(reply.text, max_tokens), finish_reason="length"
        )
    return reply


def completion_tokens(reply: Reply) -> int:
    """The answer's tokens and the thinking's: reasoning counts as completion (OpenAI's rule)."""
    answer = text.count_tokens(reply.text) if reply.text else 0
    return answer + (text.count_tokens(reply.reasoning) if reply.reasoning else 0)


def usage(prompt: int, completion: int) -> dict[str, int]:
    """FastChat's UsageInfo field order."""
    return {
        "prompt_tokens": prompt,
        "total_tokens": prompt + completion,
        "completion_tokens": completion,
    }


# -- stream events ------------------------------------------------------------------------------


def chat_events(
    ident: str, model: str, created: int, replies: list[Reply], cumulative: bool
) -> list[bytes]:
    """Choice after choice (n>1 is sequential), finish chunks together at the end (§5)."""
    events: list[bytes] = []
    finishes: list[bytes] = []
    for index, reply in enumerate(replies):
        role = {"index": index, "delta": {"role": "assistant"}, "finish_reason": None}
        events.append(event({"id": ident, "model": model, "choices": [role]}))
        for piece in text.split_stream(reply.reasoning) if reply.reasoning else []:
            # Thinking first, always as deltas (vLLM's reasoning parser sends increments).
            thought = {
                "index": index,
                "delta": {reply.reasoning_field: piece},
                "finish_reason": None,
            }
            events.append(event({"id": ident, "model": model, "choices": [thought]}))
        so_far = ""
        for piece in text.split_stream(reply.text) if reply.text else []:
            so_far += piece
            content = so_far if cumulative else piece
            choice = {"index": index, "delta": {"content": content}, "finish_reason": None}
            events.append(event({"id": ident, "model": model, "choices": [choice]}))
        finish = {"index": index, "delta": {}, "finish_reason": reply.finish_reason}
        finishes.append(
            event(
                {
                    "id": ident,
                    "object": "chat.completion.chunk",
                    "created": created,
                    "model": model,
                    "choices": [finish],
                }
            )
        )
    return [*events, *finishes, event("[DONE]")]


def completion_events(
    ident: str, model: str, replies: list[Reply], cumulative: bool
) -> list[bytes]:
    events: list[bytes] = []
    finishes: list[bytes] = []
    for index, reply in enumerate(replies):
        so_far = ""
        for piece in text.split_stream(reply.text) if reply.text else []:
            so_far += piece
            choice = {
                "index": index,
                "text": so_far if cumulative else piece,
                "logprobs": None,
                "finish_reason": None,
            }
            events.append(event(_completion_chunk(ident, model, choice)))
        finish = {
            "index": index,
            "text": "",
            "logprobs": None,
            "finish_reason": reply.finish_reason,
        }
        finishes.append(event(_completion_chunk(ident, model, finish)))
    return [*events, *finishes, event("[DONE]")]


def _completion_chunk(ident: str, model: str, choice: dict[str, Any]) -> dict[str, Any]:
    return {"id": ident, "object": "text_completion", "model": model, "choices": [choice]}


# -- embeddings ---------------------------------------------------------------------------------


def raw_embedding(value: str) -> list[float]:
    """Koala's embedding worker does not normalise (§2.9): a unit vector times a stable scale."""
    scale = 8.0 + (text.stable_int("koala-norm", value) % 400) / 100.0
    return [round(x * scale, 6) for x in text.embed(value, EMBEDDING_DIMENSIONS)]

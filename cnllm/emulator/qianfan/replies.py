"""What the emulated model says, and the response objects and stream events that carry it.

Shapes follow the seeds: D003 for chat (``chat.completion``), D004 for completions.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from .. import schema, text

_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


@dataclass(frozen=True)
class Reply:
    text: str
    finish_reason: str = "normal"
    function_call: dict[str, str] | None = None
    truncated: bool = False
    need_clear_history: bool = False


@dataclass(frozen=True)
class Meta:
    """What every object of one response shares."""

    id: str
    created: int
    prompt_tokens: int
    top_logprobs: int | None  # None: logprobs not requested


def response_id(seed: str) -> str:
    number = text.stable_int("id", seed)
    chars = []
    for _ in range(10):
        number, digit = divmod(number, len(_ALPHABET))
        chars.append(_ALPHABET[digit])
    return "as-" + "".join(chars)


# -- choosing the reply ------------------------------------------------------------------------


def _content(message: dict[str, Any]) -> str:
    content = message.get("content")
    return content if isinstance(content, str) else ""


def last_user_text(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            return _content(message)
    return ""


def prompt_tokens(body: dict[str, Any]) -> int:
    parts = [body.get("system") or "", body.get("prompt") or ""]
    parts += [_content(m) for m in body.get("messages") or [] if isinstance(m, dict)]
    return text.count_tokens("\n".join(p for p in parts if isinstance(p, str)))


def chat_reply(body: dict[str, Any], functions_enabled: bool, fault_kind: str | None) -> Reply:
    if fault_kind == "need_clear_history":
        return Reply("", need_clear_history=True)
    messages: list[dict[str, Any]] = body["messages"]
    last = messages[-1]
    functions = body.get("functions") if functions_enabled else None
    if functions and last.get("role") == "user":
        return _function_call(functions, _content(last), body.get("tool_choice"))
    if last.get("role") == "function":
        name, result = str(last.get("name", "function")), _content(last)
        question = last_user_text(messages)
        pending = _requested_pending(functions or [], messages, question)
        if pending:  # asked in words to answer through a function: it does
            return _function_call(pending, f"{question}\n{_unwrapped(result)}", None)
        plain = text.tool_result_answer(name, result, question)
        json_object = body.get("response_format") == "json_object"
        # JSON mode (or a schema in the question) holds for the answer after a tool result too.
        found = schema.json_answer("", f"{question}\n{_unwrapped(result)}", json_object, plain)
        return limit(Reply(found or plain), body)
    system = body.get("system") or ""
    instructions = "\n".join([system, _content(messages[0])]) if len(messages) > 1 else system
    turns = [(str(m.get("role")), _content(m)) for m in messages if isinstance(m, dict)]
    answer = _text_answer(_content(last), instructions, body, system, text.previous_user(turns))
    return limit(Reply(answer), body)


def _requested_pending(
    functions: list[dict[str, Any]], messages: list[dict[str, Any]], question: str
) -> list[dict[str, Any]]:
    """The offered functions the user asked to be answered through and not yet called."""
    requested = set(schema.requested_tools(question))
    called = {str((m.get("function_call") or {}).get("name")) for m in messages}
    return [f for f in functions if isinstance(f, dict) and f.get("name") in requested - called]


def _unwrapped(content: str) -> str:
    """A function result's own text: clients wrap a plain result as ``{"result": ...}``."""
    try:
        data = json.loads(content)
    except ValueError:
        return content
    if isinstance(data, dict) and set(data) == {"result"}:
        return str(data["result"])
    return content


def _text_answer(
    message: str, instructions: str, body: dict[str, Any], persona: str = "", earlier: str = ""
) -> str:
    plain = text.answer(message, instructions, persona=persona, earlier=earlier)
    json_object = body.get("response_format") == "json_object"
    return schema.json_answer(instructions, message, json_object, plain) or plain


def _function_call(functions: list[dict[str, Any]], message: str, choice: Any) -> Reply:
    forced = choice.get("function", {}).get("name") if isinstance(choice, dict) else None
    function = schema.choose_function(functions, message, forced)
    arguments = json.dumps(schema.call_arguments(function, message), ensure_ascii=False)
    call = {
        "name": str(function["name"]),
        "arguments": arguments,
        "thoughts": f"用户的请求需要调用 {function['name']}，参数取自用户的问题。",
    }
    return Reply("", "function_call", call)


def completion_reply(body: dict[str, Any]) -> Reply:
    prompt = str(body["prompt"])
    return limit(Reply(_text_answer(prompt, "", body)), body)


def limit(reply: Reply, body: dict[str, Any]) -> Reply:
    """Apply ``stop`` (cut at the first stop string) and ``max_output_tokens``."""
    stops = [word for word in body.get("stop") or [] if word]
    hits = [reply.text.find(word) for word in stops if word in reply.text]
    if hits:
        reply = replace(reply, text=reply.text[: min(hits)], finish_reason="stop")
    budget = body.get("max_output_tokens")
    if isinstance(budget, int) and text.count_tokens(reply.text) > budget:
        reply = replace(
            reply,
            text=text.first_tokens(reply.text, budget),
            finish_reason="length",
            truncated=True,
        )
    return reply


def completion_tokens(reply: Reply) -> int:
    if reply.function_call is not None:
        return text.count_tokens(reply.function_call["arguments"])
    return text.count_tokens(reply.text) if reply.text else 0


# -- response objects --------------------------------------------------------------------------


def usage(prompt: int, completion: int) -> dict[str, int]:
    total = prompt + completion
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": total}


def chat_object(reply: Reply, meta: Meta) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": meta.id,
        "object": "chat.completion",
        "created": meta.created,
        "result": reply.text,
        "is_truncated": reply.truncated,
        "need_clear_history": reply.need_clear_history,
    }
    if reply.need_clear_history:
        body["ban_round"] = -1
    body["finish_reason"] = reply.finish_reason
    body["usage"] = usage(meta.prompt_tokens, completion_tokens(reply))
    if reply.function_call is not None:
        body["function_call"] = reply.function_call
    if meta.top_logprobs is not None:
        body["logprobs"] = text.logprobs(reply.text, meta.top_logprobs)
    return body


def completion_object(reply: Reply, meta: Meta, safe: bool) -> dict[str, Any]:
    return {
        "id": meta.id,
        "object": "completion",
        "created": meta.created,
        "result": reply.text,
        "is_safe": 1 if safe else 0,
        "usage": usage(meta.prompt_tokens, completion_tokens(reply)),
    }


def stream_usages(
    deltas: list[str], prompt: int, completion: int, style: str
) -> list[dict[str, int]]:
    """2024: a constant placeholder, then the totals; 2023: per-chunk counts, running total."""
    if style == "2023":
        running, found = 0, []
        for delta in deltas:
            count = text.count_tokens(delta) if delta else 0
            found.append({**usage(prompt, count), "total_tokens": prompt + running + count})
            running += count
        return found
    return [usage(prompt, 0)] * (len(deltas) - 1) + [usage(prompt, completion)]


def stream_objects(
    reply: Reply, meta: Meta, style: str, completion_safe: bool | None = None
) -> list[dict[str, Any]]:
    """One object per event; ``completion_safe`` set means completion-shaped objects."""
    single = reply.function_call is not None or reply.need_clear_history
    deltas = [reply.text] if single else text.split_stream(reply.text)
    usages = stream_usages(deltas, meta.prompt_tokens, completion_tokens(reply), style)
    objects = []
    for index, (delta, chunk_usage) in enumerate(zip(deltas, usages, strict=True)):
        final = index == len(deltas) - 1
        part = replace(reply, text=delta, truncated=reply.truncated and final)
        if completion_safe is None:
            item = chat_object(part, meta)
            if not final:
                item.pop("finish_reason")
                item.pop("function_call", None)
        else:
            item = completion_object(part, meta, completion_safe)
        item["usage"] = chunk_usage
        objects.append(_with_position(item, index, final))
    return objects


def _with_position(item: dict[str, Any], index: int, final: bool) -> dict[str, Any]:
    head = {key: item[key] for key in ("id", "object", "created")}
    rest = {key: value for key, value in item.items() if key not in head}
    return {**head, "sentence_id": index, "is_end": final, **rest}


def sse(item: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(item, ensure_ascii=False, separators=(',', ':'))}\n\n".encode()


def embeddings_object(vectors: Sequence[object], meta: Meta) -> dict[str, Any]:
    return {
        "id": meta.id,
        "object": "embedding_list",
        "created": meta.created,
        "data": [
            {"object": "embedding", "embedding": vector, "index": index}
            for index, vector in enumerate(vectors)
        ],
        "usage": {"prompt_tokens": meta.prompt_tokens, "total_tokens": meta.prompt_tokens},
    }

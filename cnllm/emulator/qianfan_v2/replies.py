"""What the emulated v2 models say, and the bodies and SSE chunks that carry it (§4, §6, §8)."""

from __future__ import annotations

import json
import posixpath
import time
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from cnllm.qianfan.v2.models import V2Model

from .. import reasoning as emulated
from .. import schema, text

EMULATED_SEARCH_URL = "https://emulator.invalid/search/"


@dataclass(frozen=True)
class Reply:
    text: str = ""
    reasoning: str = ""
    finish_reason: str = "stop"
    tool_calls: tuple[dict[str, Any], ...] = ()
    flag: int = 0
    search_results: tuple[dict[str, Any], ...] = ()
    extra_prompt: dict[str, int] = field(default_factory=dict)  # search_tokens
    cached_tokens: int | None = None  # a prefix-cache hit, reported with the reasoning


@dataclass(frozen=True)
class Meta:
    request_id: str
    model: str
    created: int
    prompt_tokens: int


def meta(request_id: str, body: dict[str, Any]) -> Meta:
    return Meta(request_id, str(body.get("model")), int(time.time()), prompt_tokens(body))


# -- choosing the reply -----------------------------------------------------------------------


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def _images(content: Any) -> list[str]:
    if not isinstance(content, list):
        return []
    urls = []
    for part in content:
        if isinstance(part, dict) and part.get("type") == "image_url":
            value = part.get("image_url")
            url = value.get("url") if isinstance(value, dict) else value
            urls.append(str(url))
    return urls


def prompt_tokens(body: dict[str, Any]) -> int:
    parts = [_text(m.get("content")) for m in body.get("messages") or () if isinstance(m, dict)]
    if isinstance(body.get("prompt"), str):
        parts.append(body["prompt"])
    return max(text.count_tokens("\n".join(parts)), 1)


def thinking_on(body: dict[str, Any], model: V2Model) -> bool:
    if not model.profile.reasoning_output:
        return False
    if model.thinking == "always":
        return True
    if model.thinking == "thinking":
        thinking = body.get("thinking")
        if isinstance(thinking, dict):
            return thinking.get("type") == "enabled"
        return model.thinking_default
    switch = body.get("enable_thinking")
    return bool(switch) if switch is not None else model.thinking_default


def _question(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            return _text(message.get("content"))
    return ""


def _image_words(url: str) -> str:
    if url.startswith("data:"):
        return "一张上传的图片"
    return f"图片 {posixpath.basename(urlsplit(url).path) or url}"


def chat_reply(body: dict[str, Any], model: V2Model, refused: bool) -> Reply:
    messages: list[dict[str, Any]] = body["messages"]
    question = _question(messages)
    if refused:  # output moderation: must not be shown (§4.1 flag 3)
        return Reply("", finish_reason="content_filter", flag=3)
    reasoning = ""
    if thinking_on(body, model):
        reasoning = emulated.thinking(question, body.get("thinking_budget"))
    last = messages[-1]
    tools = body.get("tools")
    results = _tool_results(messages)
    hint = "\n".join([question, *results])  # what arguments and JSON answers are read from
    pending = _requested(tools or [], messages, question) if results else []
    if tools and body.get("tool_choice") != "none" and (pending or _calls_a_tool(last, body)):
        offered = pending or (_not_called(tools, messages) if results else tools)
        return Reply("", reasoning, "tool_calls", (_tool_call(offered, hint, body),))
    if last.get("role") == "tool":
        # JSON asked for (response_format, or a schema in the question) holds after a tool
        # result too, read from the question and the results.
        name = str(last.get("name") or "tool")
        answer = _json_answer(body, messages, hint) or text.tool_result_answer(
            name, _text(last.get("content")), question
        )
        return limit(Reply(answer, reasoning), body)
    images = _images(last.get("content"))
    if images:
        answer = (
            f"{_image_words(images[0])}里面有一个确定性的模拟场景：山顶上的停车场停满了车辆。"
            f"关于“{question[:30]}”，这是千帆模拟服务对图片的固定描述。"
        )
        return limit(Reply(answer, reasoning), body)
    reply = Reply(_answer(body, messages, question), reasoning)
    return limit(_with_search(reply, body, question), body)


def _tool_results(messages: list[dict[str, Any]]) -> list[str]:
    """The tool results after the last assistant turn (this round of the tool loop)."""
    found: list[str] = []
    for message in reversed(messages):
        if message.get("role") != "tool":
            break
        found.insert(0, _text(message.get("content")))
    return found


def _calls_a_tool(last: dict[str, Any], body: dict[str, Any]) -> bool:
    """A question calls a tool; after a tool's result, only a forced choice calls another."""
    if last.get("role") == "user":
        return True
    choice = body.get("tool_choice")
    return last.get("role") == "tool" and (choice == "required" or isinstance(choice, dict))


def _not_called(
    tools: list[dict[str, Any]], messages: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    called = {
        call.get("function", {}).get("name")
        for message in messages
        if message.get("role") == "assistant"
        for call in message.get("tool_calls") or ()
    }
    return [tool for tool in tools if tool["function"].get("name") not in called] or tools


def _uncalled(tools: list[dict[str, Any]], messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    called = {
        call.get("function", {}).get("name")
        for message in messages
        if message.get("role") == "assistant"
        for call in message.get("tool_calls") or ()
    }
    return [tool for tool in tools if tool["function"].get("name") not in called]


def _requested(
    tools: list[dict[str, Any]], messages: list[dict[str, Any]], question: str
) -> list[dict[str, Any]]:
    """Tools the user asked in words to be answered through (a tool_choice the client could
    not force), not yet called: after a tool's result, the model calls one of them."""
    wanted = set(schema.requested_tools(question))
    return [tool for tool in _uncalled(tools, messages) if tool["function"].get("name") in wanted]


def with_cache(reply: Reply, body: dict[str, Any]) -> Reply:
    """Reasoning answers report the prefix cache, as the other emulated reasoning models do."""
    if not reply.reasoning:
        return reply
    history = [_text(m.get("content")) for m in body["messages"] if isinstance(m, dict)]
    return replace(reply, cached_tokens=emulated.cached_tokens(history))


def _answer(body: dict[str, Any], messages: list[dict[str, Any]], question: str) -> str:
    """JSON when asked for; else the shared answer, showing the persona (system prompt) and
    the earlier turn as every emulated vendor does."""
    system = _text(messages[0].get("content")) if messages[0].get("role") == "system" else ""
    turns = [(str(m.get("role")), _text(m.get("content"))) for m in messages]
    earlier = text.previous_user(turns)
    plain = text.answer(question, system, persona=system, earlier=earlier)
    return _json_answer(body, messages, question) or plain


def _json_answer(body: dict[str, Any], messages: list[dict[str, Any]], words: str) -> str | None:
    """JSON when it is asked for: response_format json_schema (an instance of the schema),
    json_object, or a schema or named keys in the words; else None."""
    system = _text(messages[0].get("content")) if messages[0].get("role") == "system" else ""
    raw = body.get("response_format")
    fmt: dict[str, Any] = raw if isinstance(raw, dict) else {}
    if fmt.get("type") == "json_schema":
        wanted = fmt["json_schema"].get("schema", fmt["json_schema"])
        hints = schema.Hints(words, schema.property_names(wanted))
        return json.dumps(schema.instance(wanted, hints), ensure_ascii=False)
    plain = text.answer(words, system)
    return schema.json_answer(system, words, fmt.get("type") == "json_object", plain)


def _tool_call(tools: list[dict[str, Any]], question: str, body: dict[str, Any]) -> dict[str, Any]:
    functions = [tool["function"] for tool in tools]
    choice = body.get("tool_choice")
    forced = choice.get("function", {}).get("name") if isinstance(choice, dict) else None
    function = schema.choose_function(functions, question, forced)
    arguments = json.dumps(schema.call_arguments(function, question), ensure_ascii=False)
    call_id = f"{text.stable_int('call', question, str(function['name'])):032x}"[-32:]
    return {
        "id": call_id,
        "type": "function",
        "function": {"name": str(function["name"]), "arguments": arguments},
    }


def _with_search(reply: Reply, body: dict[str, Any], question: str) -> Reply:
    search = body.get("web_search")
    if not (isinstance(search, dict) and search.get("enable")):
        return reply
    count = int(search.get("reference_number") or 1)
    results = tuple(
        {"index": n, "url": f"{EMULATED_SEARCH_URL}{n}", "title": f"{question[:20]} — 结果{n}"}
        for n in range(1, count + 1)
    )
    answer = reply.text + ("^[1]^" if search.get("enable_citation") else "")
    trace = results if search.get("enable_trace") else ()
    return replace(reply, text=answer, search_results=trace, extra_prompt={"search_tokens": 40})


def completion_reply(body: dict[str, Any], refused: bool) -> Reply:
    if refused:
        return Reply(text.refusal(), finish_reason="content_filter", flag=1)
    return limit(Reply(text.answer(str(body["prompt"]))), body)


def limit(reply: Reply, body: dict[str, Any]) -> Reply:
    """``stop`` cuts at the first stop string; ``max_tokens`` at that many tokens."""
    stops = [word for word in body.get("stop") or [] if word]
    hits = [reply.text.find(word) for word in stops if word in reply.text]
    if hits:
        reply = replace(reply, text=reply.text[: min(hits)])
    budget = body.get("max_completion_tokens") or body.get("max_tokens")
    if isinstance(budget, int) and text.count_tokens(reply.text) > budget:
        reply = replace(reply, text=text.first_tokens(reply.text, budget), finish_reason="length")
    return reply


# -- bodies -----------------------------------------------------------------------------------


def usage(reply: Reply, prompt: int) -> dict[str, Any]:
    reasoning = text.count_tokens(reply.reasoning) if reply.reasoning else 0
    answer = text.count_tokens(reply.text) if reply.text else 0
    answer += sum(text.count_tokens(c["function"]["arguments"]) for c in reply.tool_calls)
    completion = answer + reasoning
    found: dict[str, Any] = {
        "prompt_tokens": prompt + sum(reply.extra_prompt.values()),
        "completion_tokens": completion,
        "total_tokens": prompt + sum(reply.extra_prompt.values()) + completion,
    }
    details = dict(reply.extra_prompt)
    if reply.cached_tokens is not None:
        details["cached_tokens"] = reply.cached_tokens
    if details:
        found["prompt_tokens_details"] = details
    if reply.reasoning:
        found["completion_tokens_details"] = {"reasoning_tokens": reasoning}
    return found


def _message(reply: Reply) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.text}
    if reply.reasoning:
        message["reasoning_content"] = reply.reasoning
    if reply.tool_calls:
        message["tool_calls"] = list(reply.tool_calls)
    return message


def chat_object(reply: Reply, info: Meta) -> dict[str, Any]:
    choice: dict[str, Any] = {
        "index": 0,
        "message": _message(reply),
        "finish_reason": reply.finish_reason,
        "flag": reply.flag,
    }
    if reply.flag:
        choice["ban_round"] = -1
    body: dict[str, Any] = {
        "id": info.request_id,
        "object": "chat.completion",
        "created": info.created,
        "model": info.model,
        "choices": [choice],
        "usage": usage(reply, info.prompt_tokens),
    }
    if reply.search_results:
        body["search_results"] = list(reply.search_results)
    return body


def completion_object(reply: Reply, info: Meta) -> dict[str, Any]:
    return {
        "id": info.request_id,
        "object": "completion",
        "created": info.created,
        "model": info.model,
        "choices": [
            {
                "index": 0,
                "text": reply.text,
                "finish_reason": reply.finish_reason,
                "flag": reply.flag,
            }
        ],
        "usage": usage(reply, info.prompt_tokens),
    }


def sse(item: dict[str, Any] | str) -> bytes:
    data = (
        item
        if isinstance(item, str)
        else json.dumps(item, ensure_ascii=False, separators=(",", ":"))
    )
    return f"data: {data}\n\n".encode()


def _chunk(info: Meta, choice: dict[str, Any], with_usage: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": info.request_id,
        "object": "chat.completion.chunk",
        "created": info.created,
        "model": info.model,
        "choices": [{"index": 0, **choice, "flag": choice.get("flag", 0)}],
    }
    if with_usage:
        body["usage"] = None  # include_usage: null on every chunk but the last (§4.2)
    return body


def _deltas(reply: Reply, completions: bool) -> list[dict[str, Any]]:
    key = "text" if completions else "delta"
    deltas: list[dict[str, Any]] = []
    for piece in text.split_stream(reply.reasoning) if reply.reasoning else ():
        deltas.append({key: {"reasoning_content": piece}})
    for index, call in enumerate(reply.tool_calls):
        head = {**call, "index": index, "function": {**call["function"], "arguments": ""}}
        deltas.append({key: {"tool_calls": [head]}})
        for piece in text.split_stream(call["function"]["arguments"], 4, 12):
            deltas.append(
                {key: {"tool_calls": [{"index": index, "function": {"arguments": piece}}]}}
            )
    for piece in text.split_stream(reply.text) if reply.text else ():
        deltas.append({"text": piece} if completions else {key: {"content": piece}})
    if not completions and deltas:
        deltas[0][key] = {"role": "assistant", **deltas[0][key]}
    return deltas


def stream_events(
    reply: Reply, info: Meta, body: dict[str, Any], completions: bool = False
) -> list[bytes]:
    raw_options = body.get("stream_options")
    options: dict[str, Any] = raw_options if isinstance(raw_options, dict) else {}
    every = bool(options.get("chunk_include_usage"))
    with_usage = bool(options.get("include_usage")) or every
    final_usage = usage(reply, info.prompt_tokens)
    events = []
    for delta in _deltas(reply, completions):
        chunk = _chunk(info, delta, with_usage)
        if every:
            chunk["usage"] = final_usage  # cumulative; the emulator knows the total upfront
        events.append(sse(chunk))
    last: dict[str, Any] = {"text": ""} if completions else {"delta": {"content": ""}}
    last.update({"finish_reason": reply.finish_reason, "flag": reply.flag})
    if reply.flag:
        last["ban_round"] = -1
    final = _chunk(info, last, with_usage)
    if with_usage:
        final["usage"] = final_usage
    if reply.search_results:
        final["search_results"] = list(reply.search_results)
    events.append(sse(final))
    events.append(sse("[DONE]"))
    return events


def embeddings_object(texts: list[str], model: str, dimensions: int, info: Meta) -> dict[str, Any]:
    tokens = sum(text.count_tokens(item) for item in texts)
    return {
        "id": info.request_id,
        "object": "embedding_list",
        "created": info.created,
        "model": model,
        "data": [
            {"object": "embedding", "embedding": text.embed(item, dimensions), "index": index}
            for index, item in enumerate(texts)
        ],
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }

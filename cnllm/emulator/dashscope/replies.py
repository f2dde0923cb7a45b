"""What the emulated DashScope models say, and the objects and SSE events that carry it.

Shapes follow the wire notes in docs/dashscope.md (§2.4 results, §3.2 stream layout, §4
embeddings) and the ChatYuan seed (002): ChatYuan answers with ``output.text`` only (no usage,
no finish_reason) and writes newlines as the two characters ``\\n``.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field, replace
from typing import Any

from .. import schema, text

CHATYUAN_TURN = re.compile(r"(用户|小元)[：:]")


@dataclass(frozen=True)
class Reply:
    text: str
    finish_reason: str = "stop"
    tool_calls: list[dict[str, Any]] = field(default_factory=list)


def request_id() -> str:
    return str(uuid.uuid4())


def call_id(seed: str) -> str:
    return f"call_{text.stable_int('call', seed):016x}"


# -- answers ------------------------------------------------------------------------------------

_TEMPLATES = (
    "收到你的问题：“{q}”。我是通义模拟服务（emulator），这是确定性的模拟回答："
    "同样的请求总会得到同样的结果。",
    "关于“{q}”：我是通义模拟服务（emulator），不联网、不调用真实模型，只按规则生成可重复的内容。",
)
_CHATYUAN_TEMPLATE = (
    "你好，我是小元（ChatYuan 模拟服务）。\n\n关于“{q}”：这是一个确定性的模拟回答，"
    "同样的提示总会得到同样的结果。"
)


def answer(
    message: str,
    instructions: str,
    *,
    chatyuan: bool = False,
    persona: str = "",
    earlier: str = "",
) -> str:
    """Repeat, quote the given context, or a default naming the service (text.answer's rules);
    a default shows the persona and the earlier turn it was given."""
    reply = text.answer(message, instructions)
    if reply != text.default_answer(message):
        return reply
    short = message.strip()[:30] or "（空）"
    if chatyuan:
        return text.framed(_CHATYUAN_TEMPLATE.format(q=short), persona, earlier)
    template = _TEMPLATES[text.stable_int("dashscope", message) % len(_TEMPLATES)]
    return text.framed(template.format(q=short), persona, earlier)


def with_json(reply: str, message: str, instructions: str, json_object: bool) -> str:
    return schema.json_answer(instructions, message, json_object, reply) or reply


def limit(reply: Reply, parameters: dict[str, Any]) -> Reply:
    """Apply ``stop`` (cut at the first stop string) and ``max_tokens``."""
    stop = parameters.get("stop")
    stops = [stop] if isinstance(stop, str) else [s for s in stop or [] if isinstance(s, str)]
    hits = [reply.text.find(word) for word in stops if word and word in reply.text]
    if hits:
        reply = replace(reply, text=reply.text[: min(hits)], finish_reason="stop")
    budget = parameters.get("max_tokens")
    if isinstance(budget, int) and text.count_tokens(reply.text) > budget:
        reply = replace(reply, text=text.first_tokens(reply.text, budget), finish_reason="length")
    return reply


# -- ChatYuan ----------------------------------------------------------------------------------


def chatyuan_users(prompt: str) -> list[str]:
    """The user turns of a ChatYuan prompt (``用户：…\\n小元：``), or the bare instruction."""
    plain = prompt.replace("\\n", "\n").replace("\\t", "\t")
    turns = CHATYUAN_TURN.split(plain)
    if len(turns) < 3:
        return [plain.strip()]
    users = [turns[i + 1].strip() for i in range(1, len(turns) - 1, 2) if turns[i] == "用户"]
    return users or [plain.strip()]


def chatyuan_question(prompt: str) -> str:
    """The last user turn of a ChatYuan prompt, or the bare instruction."""
    return chatyuan_users(prompt)[-1]


def chatyuan_reply(prompt: str) -> str:
    """The answer as ChatYuan writes it: newlines as the two characters ``\\n``."""
    users = chatyuan_users(prompt)
    question, earlier = users[-1], (users[-2] if len(users) > 1 else "")
    plain = answer(question, "", chatyuan=True, earlier=earlier)
    reply = with_json(plain, question, "", False)
    return reply.replace("\n", "\\n").replace("\t", "\\t")


# -- messages models ---------------------------------------------------------------------------


def _content(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return content if isinstance(content, str) else ""


def contents(messages: list[dict[str, Any]]) -> list[str]:
    return [_content(message) for message in messages]


def prompt_tokens(messages: list[dict[str, Any]]) -> int:
    return text.count_tokens("\n".join(_content(message) for message in messages))


def last_user_text(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            return _content(message)
    return ""


def chat_reply(messages: list[dict[str, Any]], parameters: dict[str, Any]) -> Reply:
    last = messages[-1]
    tools = parameters.get("tools") or []
    choice = parameters.get("tool_choice")
    if tools and last.get("role") == "user" and choice != "none":
        return _tool_call(tools, _content(last), choice)
    format_ = parameters.get("response_format")
    json_object = isinstance(format_, dict) and format_.get("type") == "json_object"
    if last.get("role") == "tool":
        name, result = str(last.get("name") or "tool"), _content(last)
        question = last_user_text(messages)
        pending = _requested_pending(tools, messages, question)
        if pending and choice != "none":  # asked in words to answer through a tool: it does
            return _tool_call(pending, f"{question}\n{result}", None)
        reply = text.tool_result_answer(name, result, question)
        # JSON mode (or a schema in the question) holds for the answer after a tool result too.
        return limit(Reply(with_json(reply, f"{question}\n{result}", "", json_object)), parameters)
    system = _content(messages[0]) if messages[0].get("role") == "system" else ""
    first = _content(messages[0]) if len(messages) > 1 else ""
    instructions = "\n".join(part for part in (system, first) if part)
    turns = [(str(m.get("role")), _content(m)) for m in messages]
    plain = answer(_content(last), instructions, persona=system, earlier=text.previous_user(turns))
    return limit(Reply(with_json(plain, _content(last), instructions, json_object)), parameters)


def _requested_pending(
    tools: list[dict[str, Any]], messages: list[dict[str, Any]], question: str
) -> list[dict[str, Any]]:
    """The offered tools the user asked to be answered through and not yet called."""
    requested = set(schema.requested_tools(question))
    called = {
        str((call.get("function") or {}).get("name"))
        for message in messages
        for call in message.get("tool_calls") or []
        if isinstance(call, dict)
    }
    return [
        tool
        for tool in tools
        if isinstance(tool, dict) and (tool.get("function") or {}).get("name") in requested - called
    ]


def _tool_call(tools: list[dict[str, Any]], message: str, choice: Any) -> Reply:
    functions = [tool.get("function") or {} for tool in tools if isinstance(tool, dict)]
    forced = choice.get("function", {}).get("name") if isinstance(choice, dict) else None
    function = schema.choose_function(functions, message, forced)
    arguments = json.dumps(schema.call_arguments(function, message), ensure_ascii=False)
    call = {
        "id": call_id(message + str(function.get("name"))),
        "type": "function",
        "function": {"name": str(function.get("name")), "arguments": arguments},
    }
    return Reply("", "tool_calls", [call])


def completion_tokens(reply: Reply) -> int:
    if reply.tool_calls:
        return sum(text.count_tokens(c["function"]["arguments"]) for c in reply.tool_calls)
    return text.count_tokens(reply.text) if reply.text else 0


def usage(
    prompt: int, completion: int, *, reasoning: int | None = None, cached: int | None = None
) -> dict[str, Any]:
    """Counts; a thinking call's details as the native service names them (current §2.6):
    reasoning tokens are part of ``output_tokens``."""
    output_tokens = completion + (reasoning or 0)
    counts: dict[str, Any] = {
        "input_tokens": prompt,
        "output_tokens": output_tokens,
        "total_tokens": prompt + output_tokens,
    }
    if cached is not None:
        counts["prompt_tokens_details"] = {"cached_tokens": cached}
    if reasoning is not None:
        counts["output_tokens_details"] = {"reasoning_tokens": reasoning}
    return counts


def output(
    content: str,
    finish_reason: str,
    tool_calls: list[dict[str, Any]],
    result_format: str,
    reasoning: str | None = None,
) -> dict[str, Any]:
    """``output`` in either result format (§2.4); ``reasoning_content`` on thinking calls."""
    if result_format != "message":
        return {"text": content, "finish_reason": finish_reason}
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if reasoning is not None:
        message["reasoning_content"] = reasoning
    if tool_calls:
        message["tool_calls"] = tool_calls
    return {"choices": [{"finish_reason": finish_reason, "message": message}]}


# -- streams -----------------------------------------------------------------------------------


def sse_event(
    number: int, payload: dict[str, Any], event: str = "result", status: int = 200
) -> bytes:
    """One event in the native layout: no space after ``data:``, no ``[DONE]`` (§3.2)."""
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return f"id:{number}\nevent:{event}\n:HTTP_STATUS/{status}\ndata:{data}\n\n".encode()


def cumulative(deltas: list[str], incremental: bool) -> list[str]:
    """Each event's text: the delta (incremental) or everything so far (§3.1)."""
    if incremental:
        return deltas
    return ["".join(deltas[: index + 1]) for index in range(len(deltas))]


def tool_call_pieces(calls: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Streamed tool calls: id and name with the first half of the arguments, then the rest."""
    first, second = [], []
    for index, call in enumerate(calls):
        arguments = call["function"]["arguments"]
        half = len(arguments) // 2
        first.append(
            {
                **call,
                "index": index,
                "function": {**call["function"], "arguments": arguments[:half]},
            }
        )
        second.append({"index": index, "function": {"arguments": arguments[half:]}})
    return [first, second]

"""PromptCLUE / ChatYuan prompts: task formats, the 1,024-character limit, chat rendering and
client-side clean-up of answers (reference §2.5, §6, §7). Pure functions, no I/O.

Chat rendering (§7)::

    <system text, on lines of its own>
    用户：<u1>
    小元：<a1>
    用户：<u2>
    小元：

Consecutive messages of one role are merged with a newline. When the prompt is longer than the
limit, whole exchanges (a user turn and the answer to it) are dropped from the *start*; the
system text and the last user turn are never dropped. If they alone are still too long, that is
an ``InputTooLongError`` unless ``truncate=True``, which then shortens the last user text (and,
if it takes more than half the limit, the system text) by cutting the middle of it: the first
and last lines survive, so a RAG prompt keeps its "资料：" heading and its "问题：…" line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cnllm import errors
from cnllm.clueai.models import MAX_PROMPT_CHARS
from cnllm.types import Message

VENDOR = "clueai"
USER_TAG = "用户："
BOT_TAG = "小元："
# A dialogue model sometimes goes on to write the user's next turn: cut it there.
NEXT_TURN = "\n" + USER_TAG

# §6: the formats the PromptCLUE models were trained on. ``{options}`` / ``{slots}`` take a list.
TEMPLATES: dict[str, str] = {
    "news_classification": "新闻分类：\n{text}\n选项：{options}\n答案：",
    "intent": "意图分类：\n{text}\n选项：{options}\n答案：",
    "classification": "{task}：\n{text}\n选项：{options}\n答案：",
    "sentiment": "情感分析：\n{text}\n选项：积极，消极\n答案：",
    "emotion": (
        "文字中包含了怎样的情感：\n{text}\n选项：厌恶，喜欢，开心，悲伤，惊讶，生气，害怕\n答案："
    ),
    "similarity": (
        "下面句子是否表示了相同的语义：\n文本1：{text1}\n文本2：{text2}\n选项：相似，不相似\n答案："
    ),
    "nli": "推理关系判断：\n前提：{premise}\n假设：{hypothesis}\n选项：矛盾，蕴含，中立\n答案：",
    "reading_comprehension": "阅读理解：\n段落：{passage}\n问题：{question}\n答案：",
    "multiple_choice": (
        "阅读以下对话并回答问题。\n{passage}\n问题：{question}\n选项：{options}。\n答案："
    ),
    "extraction": "信息抽取：\n{text}\n问题：{slots}\n答案：",
    "resume_extraction": "阅读文本抽取关键信息：\n{text}\n问题：{slots}\n答案：",
    "medical_extraction": "找出指定的信息：\n{text}\n问题：{slots}\n答案：",
    "summary": "为下面的文章生成摘要：\n{text}\n答案：",
    "to_english": "翻译成英文：\n{text}\n答案：",
    "to_chinese": "翻译成中文：\n{text}\n答案：",
    "question_generation": "问题生成：\n{text}\n答案：",
    "coreference": (
        "代词指向哪个名词短语：\n段落：\n{text}\n问题：代词“{pronoun}”指代的是？\n答案："
    ),
    "keywords": "抽取关键词：\n{text}\n关键词：",
    "center_word": "中心词提取：\n{text}\n答案：",
    "article": "根据标题生成文章：\n标题：{title}\n答案：",
    "article_with_keywords": (
        "根据标题和关键词生成文章：\n标题：{title}；关键词：{keywords}\n答案："
    ),
    "paraphrase": "生成与下列文字相同意思的句子：\n{text}\n答案：",
    "correction": "文本纠错：\n{text}\n答案：",
    "qa": "问答：\n问题：{question}\n答案：",
}


def format_prompt(task: str, /, **fields: str | Sequence[str]) -> str:
    """A PromptCLUE prompt for ``task`` (a key of ``TEMPLATES``); lists are joined with "，"."""
    template = TEMPLATES.get(task)
    if template is None:
        raise errors.ValidationError(
            "task", f"{task!r} is not one of {', '.join(sorted(TEMPLATES))}", vendor=VENDOR
        )
    values = {
        name: value if isinstance(value, str) else "，".join(value)
        for name, value in fields.items()
    }
    try:
        return template.format(**values)
    except KeyError as exc:
        raise errors.ValidationError(
            str(exc.args[0]), f"is needed by the {task!r} format: {template!r}", vendor=VENDOR
        ) from None


# -- the character limit --------------------------------------------------------------------


def shorten(text: str, limit: int, newline: str = "\n") -> str:
    """``text`` cut to ``limit`` characters, keeping its first and last lines when it can."""
    if len(text) <= limit:
        return text
    lines = text.split(newline)
    if len(lines) >= 3:
        head, tail = lines[0] + newline, newline + lines[-1]
        room = limit - len(head) - len(tail)
        if room > 0:
            return head + newline.join(lines[1:-1])[:room] + tail
    return text[: max(limit, 0)]


def check_prompt(
    prompt: str, *, truncate: bool = False, limit: int = MAX_PROMPT_CHARS, parameter: str = "prompt"
) -> str:
    """The prompt to send: the SDK cuts silently at 1,024 characters; we refuse by default."""
    if not isinstance(prompt, str) or not prompt.strip():
        raise errors.ValidationError(parameter, "must be a non-empty string", vendor=VENDOR)
    if len(prompt) <= limit:
        return prompt
    if truncate:
        return shorten(prompt, limit)
    raise errors.InputTooLongError(
        parameter,
        f"{len(prompt)} characters; ClueAI takes at most {limit} (its SDK silently drops the "
        "rest, answer slot included). Shorten it, or pass truncate=True to cut the middle "
        "(the first and last lines are kept)",
        vendor=VENDOR,
    )


# -- chat rendering -------------------------------------------------------------------------


@dataclass(frozen=True)
class RenderedChat:
    prompt: str
    dropped_turns: int  # exchanges left out from the start to fit the limit
    shortened: bool = False  # truncate=True had to cut text


def _text(message: Message) -> str:
    if isinstance(message.content, str):
        return message.content
    if any(part.get("type") != "text" for part in message.content):
        raise errors.ValidationError(
            "messages", "ClueAI models take text only (no images or other parts)", vendor=VENDOR
        )
    return message.text


def _turns(messages: Sequence[Message]) -> tuple[str, list[tuple[str, str]]]:
    """The system text and the user/assistant turns, consecutive same-role turns merged."""
    system: list[str] = []
    turns: list[tuple[str, str]] = []
    for message in messages:
        if message.role == "tool" or message.tool_calls:
            raise errors.ValidationError(
                "messages",
                "ClueAI has no tool calling, so tool messages and tool calls cannot be sent",
                vendor=VENDOR,
            )
        text = _text(message)
        if message.role == "system":
            system.append(text)
        elif turns and turns[-1][0] == message.role:
            turns[-1] = (message.role, f"{turns[-1][1]}\n{text}")
        else:
            turns.append((message.role, text))
    if not turns or turns[-1][0] != "user":
        raise errors.ValidationError(
            "messages",
            "the conversation must end with a user message: ClueAI answers the last 用户 turn",
            vendor=VENDOR,
        )
    return "\n".join(part for part in system if part), turns


def _exchanges(turns: list[tuple[str, str]]) -> list[str]:
    """Units that are dropped together: a user turn with the answer that follows it."""
    units: list[str] = []
    for role, text in turns:
        if role == "user":
            units.append(f"{USER_TAG}{text}")
        elif units and units[-1].startswith(USER_TAG) and BOT_TAG not in units[-1]:
            units[-1] += f"\n{BOT_TAG}{text}"
        else:
            units.append(f"{BOT_TAG}{text}")  # an answer with no question before it
    units[-1] += f"\n{BOT_TAG}"
    return units


def _escape(text: str, escape: bool) -> str:
    return text.replace("\n", "\\n").replace("\t", "\\t") if escape else text


def _join(system: str, units: Sequence[str], escape: bool) -> str:
    return _escape("\n".join([system, *units] if system else units), escape)


def render_chat(
    messages: Sequence[Message],
    *,
    limit: int = MAX_PROMPT_CHARS,
    truncate: bool = False,
    escape_newlines: bool = False,
) -> RenderedChat:
    """The 用户/小元 prompt for a conversation, fitted to ``limit`` (module docstring)."""
    system, turns = _turns(messages)
    units = _exchanges(turns)
    dropped = 0
    while len(_join(system, units, escape_newlines)) > limit and len(units) > 1:
        units.pop(0)
        dropped += 1
    prompt = _join(system, units, escape_newlines)
    if len(prompt) <= limit:
        return RenderedChat(prompt, dropped)
    if not truncate:
        raise errors.InputTooLongError(
            "messages",
            f"the system text and the last user turn alone render to {len(prompt)} characters; "
            f"ClueAI takes at most {limit}. Shorten them, or pass truncate=True to cut the "
            "middle of the last user message",
            vendor=VENDOR,
        )
    return RenderedChat(_shortened(system, turns[-1][1], limit, escape_newlines), dropped, True)


def _shortened(system: str, user: str, limit: int, escape: bool) -> str:
    newline = "\\n" if escape else "\n"
    system, user = _escape(system, escape), _escape(user, escape)
    if len(system) > limit // 2:
        system = shorten(system, limit // 2, newline)
    head = f"{system}{newline}{USER_TAG}" if system else USER_TAG
    tail = f"{newline}{BOT_TAG}"
    return head + shorten(user, limit - len(head) - len(tail), newline) + tail


# -- answers --------------------------------------------------------------------------------


def unescape_newlines(text: str) -> str:
    """ChatYuan may write newlines as a literal backslash-n (§7): turn them back."""
    return text.replace("\\n", "\n").replace("\\t", "\t")


def clean_answer(text: str, stop: Sequence[str] | None, *, dialogue: bool) -> tuple[str, bool]:
    """The answer with literal ``\\n`` restored and cut at the first stop sequence.

    The service applies no stop sequences (§4.3), so they are enforced here; a dialogue answer
    is also cut where the model starts the user's next turn. Returns (text, whether cut).
    """
    text = unescape_newlines(text)
    stops = [word for word in (stop or ()) if word]
    if dialogue:
        stops.append(NEXT_TURN)
    hits = [text.find(word) for word in stops if word in text]
    if not hits:
        return text, False
    return text[: min(hits)], True

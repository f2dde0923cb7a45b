"""ChatYuan-large-v2's prompt format (reference §2.3): turns, tags and escaped newlines.

ChatYuan takes one string. A conversation becomes ``用户：u1\\n小元：a1\\n用户：u2\\n小元：``
(ClueAI's canonical form: full-width colons, the prompt ending with the bot's tag), and
newlines travel as the two characters ``\\n`` both ways: its T5 tokenizer has no newline, and
the model was trained on that convention (the seed's curl example sends and receives it).
"""

from __future__ import annotations

from collections.abc import Sequence

from cnllm import errors
from cnllm.dashscope.models import VENDOR
from cnllm.types import Message

USER = "用户："
BOT = "小元："


def escape_newlines(text: str) -> str:
    """ChatYuan's input convention: its tokenizer has no newline, so ``\\n`` stands for one."""
    return text.replace("\n", "\\n").replace("\t", "\\t")


def unescape_newlines(text: str) -> str:
    """ChatYuan's output convention, the reverse of ``escape_newlines``."""
    return text.replace("\\n", "\n").replace("\\t", "\t")


def render(messages: Sequence[Message], *, escape: bool = True) -> str:
    """A conversation as ChatYuan's prompt: ``用户：u1\\n小元：a1\\n用户：u2\\n小元：``.

    System text leads the first user turn (ChatYuan has no system role). A conversation that
    ends with an assistant turn leaves that turn open, so the model continues it.
    """
    system = "\n".join(m.text for m in messages if m.role == "system" and m.text)
    turns: list[tuple[str, str]] = []
    for message in messages:
        if message.role == "system":
            continue
        if message.role == "tool" or message.tool_calls:
            raise errors.ValidationError(
                "messages",
                "chatyuan-large-v2 has no tool calling; tool calls and tool results cannot be "
                "rendered into its prompt",
                vendor=VENDOR,
            )
        tag = USER if message.role == "user" else BOT
        turns.append((tag, text_only(message, "chatyuan-large-v2")))
    if system:
        first_user = next((i for i, (tag, _) in enumerate(turns) if tag == USER), None)
        if first_user is None:
            turns.insert(0, (USER, system))
        else:
            turns[first_user] = (USER, f"{system}\n{turns[first_user][1]}")
    if not turns:
        raise errors.ValidationError("messages", "must not be empty", vendor=VENDOR)
    prompt = "\n".join(tag + text for tag, text in turns)
    if turns[-1][0] == USER:
        prompt += "\n" + BOT
    return escape_newlines(prompt) if escape else prompt


def text_only(message: Message, model: str) -> str:
    """A message's text; images and other parts are refused (text-generation is text only)."""
    if not isinstance(message.content, str):
        kinds = sorted({str(part.get("type")) for part in message.content} - {"text"})
        if kinds:
            raise errors.ValidationError(
                "messages",
                f"{model} on text-generation takes text only; the message holds "
                f"{', '.join(kinds)} content",
                vendor=VENDOR,
            )
    return message.text


class Unescaper:
    """Undoes ChatYuan's ``\\n`` across delta boundaries: a trailing backslash waits."""

    def __init__(self) -> None:
        self._held = ""

    def feed(self, text: str) -> str:
        text = self._held + text
        self._held = ""
        if text.endswith("\\"):
            text, self._held = text[:-1], "\\"
        return unescape_newlines(text)

    def flush(self) -> str:
        held, self._held = self._held, ""
        return held

"""Neutral request and result types shared by every vendor module and adapter.

Adapters convert LangChain / LlamaIndex objects to these; vendor modules turn them into HTTP
requests and parse answers back into them. Nothing here knows a framework or a vendor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Role = Literal["system", "user", "assistant", "tool"]


@dataclass(frozen=True)
class ToolCall:
    """A call the model asks for; ``arguments`` is the JSON text exactly as the vendor sent it."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class ToolSpec:
    """A function the model may call: name, description and a JSON-schema ``parameters``."""

    name: str
    description: str
    parameters: dict[str, Any]


@dataclass(frozen=True)
class Message:
    role: Role
    content: str | list[dict[str, Any]]
    name: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None

    @property
    def text(self) -> str:
        """The text parts of the content, joined."""
        if isinstance(self.content, str):
            return self.content
        return "".join(
            str(part.get("text", "")) for part in self.content if part.get("type") == "text"
        )


@dataclass(frozen=True)
class Usage:
    """Token counts exactly as the vendor reported them (never estimated)."""

    input_tokens: int
    output_tokens: int
    total_tokens: int


@dataclass(frozen=True)
class GenerationParams:
    """Sampling and control parameters common to chat and completion requests.

    ``None`` means "not set": it is left out of the wire request.
    """

    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    penalty_score: float | None = None
    max_tokens: int | None = None
    stop: tuple[str, ...] | None = None
    user_id: str | None = None
    logprobs: bool | None = None
    top_logprobs: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ChatRequest:
    messages: tuple[Message, ...]
    params: GenerationParams = field(default_factory=GenerationParams)
    tools: tuple[ToolSpec, ...] = ()
    tool_choice: str | None = None  # a tool name, "auto", "none" or "required"
    json_mode: bool = False


@dataclass(frozen=True)
class CompletionRequest:
    prompt: str
    params: GenerationParams = field(default_factory=GenerationParams)


@dataclass(frozen=True)
class ChatResult:
    """One complete answer (chat or completion)."""

    text: str
    model: str
    tool_calls: tuple[ToolCall, ...] = ()
    finish_reason: str | None = None
    usage: Usage | None = None
    request_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ChatDelta:
    """One piece of a streamed answer.

    ``text`` is the increment. ``usage`` and ``finish_reason`` come on the final delta only
    (``is_final``), so adding deltas up never double-counts tokens.
    """

    text: str
    model: str
    is_final: bool = False
    tool_calls: tuple[ToolCall, ...] = ()
    finish_reason: str | None = None
    usage: Usage | None = None
    request_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class EmbeddingResult:
    vectors: list[list[float]]
    model: str
    usage: Usage | None = None

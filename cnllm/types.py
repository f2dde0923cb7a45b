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
    # An earlier assistant turn's reasoning; each dialect decides whether it is sent back.
    reasoning: str | None = None

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
    # Details, only when the vendor reported them (None: not reported, never 0 by default).
    cached_input_tokens: int | None = None
    reasoning_tokens: int | None = None


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
    # Thinking switches of reasoning models (None: the model's default, not sent).
    enable_thinking: bool | None = None
    thinking_budget: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ChatRequest:
    messages: tuple[Message, ...]
    params: GenerationParams = field(default_factory=GenerationParams)
    tools: tuple[ToolSpec, ...] = ()
    tool_choice: str | None = None  # a tool name, "auto", "none" or "required"
    json_mode: bool = False
    # A native structured-output request: {"name": str, "schema": dict, "strict": bool | None}.
    json_schema: dict[str, Any] | None = None


@dataclass(frozen=True)
class CompletionRequest:
    prompt: str
    params: GenerationParams = field(default_factory=GenerationParams)

    def as_chat(self) -> ChatRequest:
        """The prompt as one user turn, with the same parameters (a chat model's completion)."""
        return ChatRequest((Message("user", self.prompt),), self.params)


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
    reasoning: str = ""  # the model's thinking, apart from the answer ("" if none)


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
    reasoning: str = ""  # the increment of the model's thinking, streamed before the answer


@dataclass(frozen=True)
class EmbeddingResult:
    vectors: list[list[float]]
    model: str
    usage: Usage | None = None


@dataclass(frozen=True)
class ModelProfile:
    """What a model can do and its limits: one entry of a vendor's model table.

    The LangChain ``profile``, the LlamaIndex ``metadata``, request validation and the
    structured-output strategy all read this. ``None`` means unknown.
    """

    context_window: int | None = None  # input tokens
    max_output_tokens: int | None = None
    tool_calling: bool = False
    tool_choice: bool = False  # forced tool_choice (a named tool / "required")
    json_mode: bool = False  # response_format json_object
    json_schema: bool = False  # response_format json_schema (native structured output)
    image_input: bool = False
    audio_input: bool = False
    video_input: bool = False
    reasoning_output: bool = False  # returns reasoning_content
    thinking_optional: bool = True  # False: a thinking-only model, thinking cannot be off

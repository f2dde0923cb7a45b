"""ClueAI model table (reference §4.3) and the service's documented limits.

Names are matched case-insensitively and sent in their documented spelling. A name the table
does not know is sent as given: the hosted model list has changed before and the server,
not this table, is the authority on it.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_PROMPT_CHARS = 1024  # the SDK cuts every generate / predict prompt to this (§2.5)
MAX_FINETUNE_SAMPLES = 10_000  # larger training sets are sampled down by the service (seed)
CHATYUAN_BASE = "ChatYuan"  # fine-tune base that switches paths to {base}/chatyuan (§4.7)


@dataclass(frozen=True)
class ModelInfo:
    name: str
    dialogue: bool  # ChatYuan, trained on the 用户/小元 form; PromptCLUE models take task prompts
    needs_key: bool  # clueai-base answers without an API key (the seed's free examples)
    description: str


_MODELS = (
    ModelInfo("clueai-base", False, False, "PromptCLUE-base, 220M parameters, free"),
    ModelInfo("clueai-large", False, True, "PromptCLUE-large, 770M parameters"),
    ModelInfo("ChatYuan-large", True, True, "ChatYuan dialogue model"),
    ModelInfo("clueai", False, False, "the name older READMEs use"),
)
_BY_NAME = {info.name.lower(): info for info in _MODELS}

DEFAULT_LLM_MODEL = "clueai-large"
DEFAULT_CHAT_MODEL = "ChatYuan-large"


def known_models() -> list[str]:
    return [info.name for info in _MODELS]


def lookup(name: str) -> ModelInfo | None:
    return _BY_NAME.get(name.strip().lower())


def canonical(name: str) -> str:
    """The documented spelling of a known model; other names unchanged."""
    info = lookup(name)
    return info.name if info is not None else name.strip()


def needs_key(name: str | None) -> bool:
    """Whether calling this model without an API key is certain to fail."""
    info = lookup(name) if name else None
    return info is not None and info.needs_key

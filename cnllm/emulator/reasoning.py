"""What the emulated reasoning models think, and their usage details: one deterministic
thinking text and one prefix-cache rule, shared by the OpenAI-compatible (Koala) and the
DashScope handlers."""

from __future__ import annotations

from . import text

CACHE_BLOCK = 16  # cached prefixes are counted in whole blocks of this many tokens


def thinking(question: str, budget: int | None = None) -> str:
    """The thinking shown before the answer; cut to ``budget`` tokens when one is given."""
    short = question.strip()[:30] or "（空）"
    thought = (
        f"用户问的是“{short}”。先弄清楚问题要什么，再组织一个简洁、确定的回答。"
        "这是模拟服务的固定思考过程。"
    )
    if budget is None or text.count_tokens(thought) <= budget:
        return thought
    return text.first_tokens(thought, budget)


def cached_tokens(history: list[str]) -> int:
    """Tokens served from the prefix cache: every message but the last, in whole blocks
    (a repeated conversation prefix is what real prefix caches hit)."""
    tokens = text.count_tokens("\n".join(history[:-1])) if len(history) > 1 else 0
    return tokens - tokens % CACHE_BLOCK

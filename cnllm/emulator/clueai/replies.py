"""What the emulated PromptCLUE / ChatYuan models say: deterministic, and shaped by the prompt.

- A 用户/小元 conversation gets the shared chat answer for its last user turn (a repeat, a
  quote from given context, a JSON instance when a schema is asked for, or a fixed reply).
- A PromptCLUE task prompt with ``选项：`` picks the option closest to the text; extraction
  prompts answer ``slot:value`` lines; summaries, keywords and translations answer in kind.
- ``generate_config.max_length`` cuts the answer; stop sequences are *not* applied (the
  service does not apply them, reference §4.3): clients must.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

from .. import schema, text

USER, BOT = "用户：", "小元："
_OPTIONS = re.compile(r"^选项[:：](.+?)。?$", re.MULTILINE)
_SLOTS = re.compile(r"^问题[:：](.+)$", re.MULTILINE)
_DEFAULT = (
    "关于“{q}”：我是 ClueAI 模拟服务（emulator）中的小元，这是确定性的模拟回答，"
    "同样的输入总会得到同样的输出。"
)


def _split_options(line: str) -> list[str]:
    return [item.strip() for item in re.split(r"[，,、]", line) if item.strip()]


def _body_text(prompt: str) -> str:
    """The task's input: the prompt without its instruction line and answer slot."""
    lines = [line for line in prompt.strip().split("\n") if line.strip()]
    kept = [
        line for line in lines[1:] if not re.match(r"^(选项|问题|答案|关键词)[:：]", line.strip())
    ]
    return "\n".join(kept) or prompt


def chat_turns(prompt: str) -> tuple[str, str] | None:
    """(system text, last user text) of a 用户/小元 prompt; None for other prompts."""
    stripped = prompt.replace("\\n", "\n").rstrip()
    if not stripped.endswith(BOT) or USER not in stripped:
        return None
    start = stripped.find(USER)
    system = stripped[:start].strip()
    last = stripped.rfind(USER)
    return system, stripped[last + len(USER) : -len(BOT)].strip()


def default_reply(question: str) -> str:
    short = re.sub(r"\s+", " ", question).strip()[:30] or "（空）"
    return _DEFAULT.format(q=short)


def earlier_user(prompt: str) -> str:
    """The user turn before the last one in a 用户/小元 prompt ("" when there is none)."""
    stripped = prompt.replace("\\n", "\n")
    turns = [part.split(BOT)[0].strip() for part in stripped.split(USER)[1:]]
    return turns[-2] if len(turns) > 1 else ""


def chat_answer(system: str, message: str, earlier: str = "") -> str:
    plain = text.answer(message, system)
    if plain == text.default_answer(message):  # the shared default names another vendor
        plain = text.framed(default_reply(message), system, earlier)
    return schema.json_answer(system, message, False, plain) or plain


def _choose(body: str, options: Sequence[str]) -> str:
    scores = [(text.similarity(body, option), -i) for i, option in enumerate(options)]
    best = max(scores)
    if best[0] > 0:
        return options[-best[1]]
    return options[text.stable_int("option", body) % len(options)]


def _extraction(body: str, slots: Sequence[str]) -> str:
    value = schema.salient(body)
    return "\n".join(f"{slot}:{value}" for slot in slots[:3])


def _keywords(body: str) -> str:
    runs = re.findall(f"[{text.CJK}]{{2,4}}", body)
    counts: dict[str, int] = {}
    for run in runs:
        counts[run] = counts.get(run, 0) + 1
    ranked = sorted(counts, key=lambda item: (-counts[item], runs.index(item)))
    return ",".join(ranked[:3]) or "关键词"


def _first_sentence(body: str) -> str:
    found = text.sentences(body)
    return (found[0] if found else body)[:60]


def task_answer(prompt: str) -> str:
    """The answer to a PromptCLUE task prompt (reference §6)."""
    instruction = prompt.strip().split("\n", 1)[0]
    body = _body_text(prompt)
    options = _OPTIONS.search(prompt)
    if options and _split_options(options.group(1)):
        return _choose(body, _split_options(options.group(1)))
    slots = _SLOTS.search(prompt)
    if slots and re.search("抽取|信息", instruction):
        return _extraction(body, _split_options(slots.group(1)))
    if "关键词" in instruction:
        return _keywords(body)
    if "摘要" in instruction:
        return _first_sentence(body)
    if "翻译成英文" in instruction:
        return "This is the emulator's deterministic English translation."
    if "翻译成中文" in instruction:
        return "这是模拟服务给出的确定性中文翻译。"
    return chat_answer("", body)


def _is_task(prompt: str) -> bool:
    """A PromptCLUE task prompt ends with its answer slot (答案： or 关键词：)."""
    lines = prompt.strip().split("\n")
    return len(lines) >= 2 and lines[-1].strip() in ("答案：", "关键词：")


def answer(prompt: str) -> str:
    turns = chat_turns(prompt)
    if turns is None:
        return task_answer(prompt)
    system, message = turns
    if _is_task(message):
        return task_answer(message)
    return chat_answer(system, message, earlier_user(prompt))


def limit_length(answer_text: str, config: dict[str, Any]) -> str:
    """``max_length`` counts tokens (here: the emulator's token-like pieces)."""
    maximum = config.get("max_length")
    if not isinstance(maximum, int) or isinstance(maximum, bool) or maximum < 1:
        return answer_text
    return "".join(text.pieces(answer_text)[:maximum])


def generation(answer_text: str, likelihoods: str | None, escape: bool) -> dict[str, Any]:
    """One element of ``result``; ChatYuan writes newlines as a literal backslash-n."""
    sent = answer_text.replace("\n", "\\n") if escape else answer_text
    item: dict[str, Any] = {"generate_text": sent}
    if likelihoods in ("GENERATION", "ALL"):
        tokens = text.pieces(answer_text)
        probs = [0.5 + (text.stable_int("p", token) % 500) / 1000 for token in tokens]
        item["likelihood"] = round(sum(math.log(p) for p in probs), 4)
        item["token_likelihoods"] = {
            str(i): {"token": token, "prob": round(p, 4)}
            for i, (token, p) in enumerate(zip(tokens, probs, strict=True))
        }
    return item


def classification(
    item: str, labels: Sequence[str], examples: Sequence[dict[str, Any]]
) -> dict[str, Any]:
    """A prediction and softmax confidences from similarity to the labels and examples."""
    scores = []
    for label in labels:
        score = text.similarity(item, label)
        for example in examples:
            if example.get("label") == label:
                score = max(score, text.similarity(item, str(example.get("text", ""))))
        scores.append(4.0 * score + (text.stable_int("cls", item, label) % 100) / 1000)
    top = max(scores)
    weights = [math.exp(score - top) for score in scores]
    total = sum(weights)
    ranked = sorted(
        ((label, round(weight / total, 4)) for label, weight in zip(labels, weights, strict=True)),
        key=lambda pair: -pair[1],
    )
    confidence = [{"label": label, "confidence": value} for label, value in ranked]
    return {"input": item, "prediction": ranked[0][0], "confidence": confidence}

"""Deterministic text: token counts, answers, stream pieces, logprobs and embeddings.

Everything here is a pure function of its input (no randomness, no salted ``hash()``), so
the same request always gets the same answer.
"""

from __future__ import annotations

import functools
import hashlib
import math
import re

CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_CJK_CHAR = re.compile(f"[{CJK}]")
_WORD = re.compile(r"[A-Za-z0-9]+(?:['’.\-][A-Za-z0-9]+)*")
_PIECE = re.compile(rf"[{CJK}]|[A-Za-z0-9]+(?:['’.\-][A-Za-z0-9]+)*|\s+|.", re.DOTALL)
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])|(?<=\.)\s+|\n+")
QUOTES = re.compile(
    r"\"([^\"\n]+)\"|“([^”\n]+)”|「([^」\n]+)」|『([^』\n]+)』|«([^»\n]+)»|‘([^’\n]+)’"
    r"|(?<![A-Za-z0-9])'([^'\n]+?)'(?![A-Za-z0-9])"
)
_STOPWORD_TEXT = (
    "a an the is are was were be of to in on at for and or with what which who how why "
    "when where do does did can could would should please me you i it this that tell "
    "about use using"
)
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())


# -- tokens -------------------------------------------------------------------------------------


def count_tokens(text: str) -> int:
    """The vendor's estimate: CJK characters + English words x 1.3, rounded, at least 1."""
    cjk = len(_CJK_CHAR.findall(text))
    words = len(_WORD.findall(text))
    return max(1, round(cjk + words * 1.3))


def pieces(text: str) -> list[str]:
    """Split text into token-like pieces (a CJK character, a word, a space run, a symbol)."""
    return _PIECE.findall(text)


def first_tokens(text: str, budget: int) -> str:
    """The longest run of whole pieces from the start that counts at most ``budget`` tokens
    (what every vendor's ``max_tokens`` leaves of an answer)."""
    kept = ""
    for piece in pieces(text):
        if count_tokens(kept + piece) > budget:
            break
        kept += piece
    return kept


def split_stream(text: str, minimum: int = 3, maximum: int = 8) -> list[str]:
    """Cut an answer into stream deltas: at least ``minimum`` when there are enough pieces."""
    parts = pieces(text)
    if len(parts) <= 1:
        return [text]
    count = max(min(len(parts), minimum), min(maximum, len(parts) // 6))
    size, extra = divmod(len(parts), count)
    deltas: list[str] = []
    start = 0
    for index in range(count):
        end = start + size + (1 if index < extra else 0)
        deltas.append("".join(parts[start:end]))
        start = end
    return deltas


def stable_int(*parts: str) -> int:
    digest = hashlib.blake2b("\x1f".join(parts).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def logprobs(text: str, top: int) -> dict[str, list[dict[str, object]]]:
    """``{content: [{token, logprob, top_logprobs}]}`` with made-up but stable numbers."""
    content: list[dict[str, object]] = []
    for token in pieces(text):
        value = -round((stable_int("lp", token) % 2000) / 1000.0, 4)
        alternatives = [{"token": token, "logprob": value}]
        for rank in range(1, top):
            alternatives.append({"token": f"{token}#{rank}", "logprob": round(value - rank, 4)})
        content.append({"token": token, "logprob": value, "top_logprobs": alternatives[:top]})
    return {"content": content}


# -- similarity ---------------------------------------------------------------------------------


def features(text: str) -> list[str]:
    """CJK characters and bigrams plus lower-cased English words (stopwords dropped)."""
    lowered = text.lower()
    found: list[str] = []
    for run in re.findall(f"[{CJK}]+", lowered):
        found.extend(run)
        found.extend(run[i : i + 2] for i in range(len(run) - 1))
    found.extend(w for w in _WORD.findall(lowered) if w not in _STOPWORDS)
    return found


def similarity(left: str, right: str) -> float:
    a, b = set(features(left)), set(features(right))
    if not a or not b:
        return 0.0
    return len(a & b) / math.sqrt(len(a) * len(b))


def embed(text: str, dimensions: int) -> list[float]:
    """Signed feature hashing into ``dimensions``, L2-normalised: similar texts, close vectors.

    Computed sparsely (a short text touches a few dozen of the dimensions): a 25-text answer
    costs well under a millisecond, not ~10 ms, so that the emulator is never the bottleneck
    of a concurrency benchmark. The values are those of the dense computation, bit for bit.
    """
    return list(_embed(text, dimensions))


@functools.lru_cache(maxsize=4096)
def _embed(text: str, dimensions: int) -> tuple[float, ...]:
    touched: dict[int, float] = {}
    for feature in features(text) or [text.strip().lower() or "<empty>"]:
        number = _feature_hash(feature)
        sign = 1.0 if number >> 63 else -1.0
        weight = 1.0 if _CJK_CHAR.match(feature) else 1.5
        slot = number % dimensions
        touched[slot] = touched.get(slot, 0.0) + sign * weight
    slots = sorted(touched)  # the dense sum's order: zeros add nothing
    norm = math.sqrt(sum(touched[slot] * touched[slot] for slot in slots)) or 1.0
    vector = [0.0] * dimensions
    for slot in slots:
        vector[slot] = round(touched[slot] / norm, 6)
    return tuple(vector)


class JSONVector:
    """An embedding the emulator writes as ready-made JSON text (see core.json_response):
    encoding 1,536 floats through ``json.dumps`` costs ~0.15 ms a vector, joining the text of
    a mostly-zero vector a tenth of that. Equal to the list ``embed`` gives, byte for byte."""

    __slots__ = ("json",)

    def __init__(self, json_text: str) -> None:
        self.json = json_text


@functools.lru_cache(maxsize=4096)
def embed_json(text: str, dimensions: int) -> JSONVector:
    parts = ["0.0"] * dimensions
    for slot, value in enumerate(_embed(text, dimensions)):
        if value:
            parts[slot] = repr(value)  # json.dumps writes a float as its repr
    return JSONVector("[" + ",".join(parts) + "]")


@functools.lru_cache(maxsize=65536)
def _feature_hash(feature: str) -> int:
    return stable_int("emb", feature)


# -- answers ------------------------------------------------------------------------------------


def quoted(text: str) -> list[str]:
    """Quoted strings in order, in "", “”, 「」, 『』, «», ‘’ or '' quotes."""
    return [next(group for group in match.groups() if group) for match in QUOTES.finditer(text)]


_REPEAT = re.compile(
    r"(重复|复述|跟我说|照着说|说出|请说|只说|只回答|回答|输出|say|repeat|reply with|respond with|"
    r"answer with|print|echo|output)",
    re.IGNORECASE,
)


_REPEAT_REACH = 12  # the quote must follow the verb closely: "Say 'hi'", not a quote pages later


def _repeat_request(question: str) -> str | None:
    """``Say "hello"`` / 请重复“你好”: the quoted text, verbatim."""
    for verb in _REPEAT.finditer(question):
        match = QUOTES.search(question, verb.end())
        if match is not None and match.start() - verb.end() <= _REPEAT_REACH:
            return next(group for group in match.groups() if group)
    return None


_QUESTION_LABEL = re.compile(r"(?:问题|提问|question|query)是?\s*[:：]\s*(.+)", re.IGNORECASE)
_CONTEXT_LABEL = re.compile(
    r"(context|上下文|已知信息|参考资料|资料|背景|documents?|passages?|following)", re.IGNORECASE
)
# Where labelled context starts ("Context:", "已知信息：", "参考资料1："): quote only after it.
_CONTEXT_START = re.compile(
    r"(?:context|上下文|已知信息|参考资料|资料|背景信息|documents?)[^\n:：]{0,20}[:：]",
    re.IGNORECASE,
)
# Prompt-template sentences ("Use the context to answer the question") are never quoted.
_INSTRUCTION = re.compile(r"context|query|question|answer|上下文|已知信息|回答|提问", re.IGNORECASE)
_LINE_LABEL = re.compile(r"^\s*(?:[\w\u4e00-\u9fff ]{1,12}\d*\s*[:：]\s*)?")


# A metadata line LlamaIndex puts above a node's text ("title: 法律案例：劳动争议"): not a passage.
_METADATA_LINE = re.compile(r"^\s*[a-z][a-z0-9_]*:\s")


def sentences(text: str) -> list[str]:
    found = []
    for part in _SENTENCE_END.split(text):
        if _METADATA_LINE.match(part):
            continue
        cleaned = _LINE_LABEL.sub("", part).strip(" \t-*•>#")
        if len(cleaned) >= 4:
            found.append(cleaned)
    return found


def _split_question(message: str) -> tuple[str, str]:
    """(question, context) of a user message; the context may be empty."""
    labelled = _QUESTION_LABEL.search(message)
    if labelled:
        question = labelled.group(1).strip().splitlines()[0]
        return question, message[: labelled.start()] + message[labelled.end() :]
    lines = [line for line in message.splitlines() if line.strip()]
    if len(lines) < 2:
        return message.strip(), ""
    asked = [i for i, line in enumerate(lines) if line.rstrip().endswith(("?", "？"))]
    index = asked[-1] if asked else len(lines) - 1
    context = "\n".join(line for i, line in enumerate(lines) if i != index)
    return lines[index].strip(), context


def _context_part(text: str) -> str:
    start = _CONTEXT_START.search(text)
    return text[start.end() :] if start else text


def _rag_answer(message: str, system: str) -> str | None:
    question, context = _split_question(message)
    context = _context_part(context)
    if len(sentences(system)) >= 3 or _CONTEXT_LABEL.search(system):  # not a mere persona
        context = f"{context}\n{_context_part(system)}"
    # A question is never the passage that answers one (an earlier turn may sit in the context).
    candidates = [
        s for s in sentences(context) if not _INSTRUCTION.search(s) and not s.endswith(("?", "？"))
    ]
    if not candidates or (len(candidates) < 2 and not _CONTEXT_LABEL.search(message + system)):
        return None
    scored = sorted(
        ((similarity(question, s), -i, s) for i, s in enumerate(candidates)), reverse=True
    )
    best = scored[0][0]
    if best <= 0.0:
        return None
    chosen = [s for score, _, s in scored[:2] if score >= best * 0.8]
    chosen.sort(key=candidates.index)
    return "根据资料：" + " ".join(_clip(s, 90) for s in chosen)


def _clip(text: str, limit: int) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


_TEMPLATES = (
    "收到你的问题：“{q}”。我是千帆模拟服务（emulator），这是确定性的模拟回答："
    "同样的请求总会得到同样的结果。",
    "关于“{q}”：我是千帆模拟服务（emulator），不联网、不调用真实模型，只按规则生成可重复的内容。",
    "你问的是“{q}”。我是千帆模拟服务（emulator）；把资料和问题一起发来，"
    "我会引用与问题最相关的句子。",
)


def is_persona(system: str) -> bool:
    """A short system prompt that sets a role, not one that carries context to quote."""
    return bool(system.strip()) and len(sentences(system)) < 3 and not _CONTEXT_LABEL.search(system)


def framed(reply: str, persona: str = "", earlier: str = "") -> str:
    """A default answer that shows what the model received: the persona and the earlier turn.

    So a tutorial's system-prompt and multi-turn examples visibly differ from a bare question.
    """
    notes = []
    if is_persona(persona):
        notes.append(f"【系统设定：{_clip(persona, 24)}】")
    if earlier.strip():
        notes.append(f"【上一轮你说：{_clip(earlier, 20)}】")
    return "".join(notes) + reply


def default_answer(question: str, persona: str = "", earlier: str = "") -> str:
    short = _clip(question, 30) or "（空）"
    template = _TEMPLATES[stable_int("answer", question) % len(_TEMPLATES)]
    return framed(template.format(q=short), persona, earlier)


def answer(message: str, system: str = "", *, persona: str = "", earlier: str = "") -> str:
    """The reply to a user message: a repeat, a quote from given context, or a default.

    ``persona`` (the system prompt) and ``earlier`` (the previous user turn) are echoed in a
    default answer, never in a repeat or a quote.
    """
    return (
        _repeat_request(message)
        or _rag_answer(message, system)
        or default_answer(message, persona, earlier)
    )


def previous_user(contents: list[tuple[str, str]]) -> str:
    """The user turn before the last one, from ``(role, text)`` pairs; "" if there is none."""
    users = [content for role, content in contents if role == "user"]
    return users[-2] if len(users) > 1 else ""


def tool_result_answer(name: str, content: str, question: str) -> str:
    return (
        f"根据工具 {name} 的返回结果 {_clip(content, 80)}，"
        f"我对“{_clip(question, 30)}”的回答已经得出：结果如上。"
    )


def refusal() -> str:
    return "抱歉，这个问题涉及敏感内容，我无法回答。"

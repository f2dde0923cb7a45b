"""The emulator's answers show what they received, so a tutorial's cells demonstrate their point:
the persona of a system prompt, the earlier turn, the passage (not its title) that best matches,
the label a text overlaps with. Deterministic throughout."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from cnllm.emulator import Emulator, text
from cnllm.emulator.env import environment

CONVERSATION = [
    SystemMessage("你是一名导游，回答要简短。"),
    HumanMessage("故宫在哪里？"),
    AIMessage("在北京市中心。"),
    HumanMessage("它是什么时候建成的？"),
]


def test_a_default_answer_echoes_the_persona_and_the_earlier_turn() -> None:
    turn = {"persona": "你是一名导游。", "earlier": "故宫在哪里？"}
    reply = text.answer("它是什么时候建成的？", **turn)
    assert reply.startswith("【系统设定：你是一名导游。】【上一轮你说：故宫在哪里？】")
    assert "它是什么时候建成的？" in reply
    assert reply == text.answer("它是什么时候建成的？", **turn)  # deterministic


def test_context_in_the_system_prompt_is_not_a_persona() -> None:
    assert not text.is_persona("资料：故宫始建于1406年。长城很长。西湖在杭州。")
    assert text.is_persona("你是一名导游。")


def test_a_quote_skips_metadata_lines_and_questions() -> None:
    context = (
        "title: 法律案例：劳动争议\n"
        "劳动争议一般先申请劳动仲裁，不服的再向法院起诉。\n"
        "劳动争议怎么解决？"
    )
    reply = text.answer(f"资料：\n{context}\n\n问题：劳动争议应该怎么解决？")
    assert reply.startswith("根据资料：劳动争议一般先申请劳动仲裁")
    assert "title" not in reply and "法律案例：劳动争议" not in reply


@pytest.mark.parametrize(
    ("cls", "kwargs"),
    [
        ("ChatQianfan", {"model": "ERNIE-3.5-8K"}),
        ("ChatDashScope", {"model": "qwen-plus"}),
        ("ChatKoala", {"model": "Baichuan2-13B-Chat"}),
        ("ChatClueAI", {"model": "ChatYuan-large"}),
    ],
)
def test_every_vendor_shows_the_persona_and_the_earlier_turn(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, cls: str, kwargs: dict[str, str]
) -> None:
    for name, value in environment(emulator.base_url).items():
        monkeypatch.setenv(name, value)
    import langchain_cnllm

    chat = getattr(langchain_cnllm, cls)(**kwargs)
    reply = chat.invoke(CONVERSATION).content
    assert "【系统设定：你是一名导游，回答要简短。】" in reply
    assert "【上一轮你说：故宫在哪里？】" in reply
    assert "【" not in chat.invoke("它是什么时候建成的？").content  # a bare question: no notes

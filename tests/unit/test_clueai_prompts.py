"""PromptCLUE formats against the seed's own example inputs; the 1,024-character limit; the
用户/小元 chat rendering; answer clean-up."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cnllm import errors
from cnllm.clueai import prompts
from cnllm.clueai.prompts import check_prompt, clean_answer, format_prompt, render_chat
from cnllm.types import Message

SEEDS = Path(__file__).resolve().parents[1] / "seeds" / "clueai"


def seed_examples() -> dict[str, tuple[str, str]]:
    """Title -> (input, model output) of the seed's "示例输入" section, verbatim."""
    text = (SEEDS / "prompt_examples.md").read_text(encoding="utf-8")
    found = {}
    for title, block in re.findall(r"\n([^\n`]+)\n```bash\n(.*?)```", text, re.S):
        prompt, output = re.split(r"\nModel output::?\n", block)
        prompt = prompt.removeprefix("Input:\n").strip()
        found[title.strip()] = (prompt, output.strip())
    return found


EXAMPLES = seed_examples()


def part(prompt: str, label: str) -> str:
    """The text after ``label：`` on its line."""
    return next(line for line in prompt.splitlines() if line.startswith(label))[len(label) :]


def test_the_seed_section_parses_into_all_its_examples() -> None:
    assert len(EXAMPLES) == 23
    assert EXAMPLES["意图分类(classify)"][1] == "酒店"


@pytest.mark.parametrize(
    ("title", "task", "fields"),
    [
        ("新闻分类(classify)", "news_classification", ("text", "options")),
        ("意图分类(classify)", "intent", ("text", "options")),
        ("情感分析(classify)", "sentiment", ("text",)),
        ("情感倾向(classify)", "emotion", ("text",)),
        ("摘要(generate)", "summary", ("text",)),
        ("翻译-中英(generate)", "to_english", ("text",)),
        ("翻译-英中(generate)", "to_chinese", ("text",)),
        ("通用信息抽取(generate)", "extraction", ("text", "slots")),
        ("简历信息抽取(generate)", "resume_extraction", ("text", "slots")),
        ("医疗信息抽取(generate)", "medical_extraction", ("text", "slots")),
        ("问题生成(generate)", "question_generation", ("text",)),
        ("中心词提取(generate)", "center_word", ("text",)),
        ("改写(generate)", "paraphrase", ("text",)),
        ("纠错(generate)", "correction", ("text",)),
        ("文章生成(generate)", "article", ("title",)),
        ("推理(generate)", "nli", ("premise", "hypothesis")),
        ("医疗语义相似度(classify)", "similarity", ("text1", "text2")),
        ("电商客户需求分析(classify)", "classification", ("task", "text", "options")),
    ],
)
def test_templates_rebuild_the_seed_inputs_byte_for_byte(
    title: str, task: str, fields: tuple[str, ...]
) -> None:
    prompt = EXAMPLES[title][0]
    lines = prompt.splitlines()
    values: dict[str, str | list[str]] = {}
    for name in fields:
        if name == "text":
            values[name] = lines[1]
        elif name == "task":
            values[name] = lines[0].rstrip("：")
        elif name == "options":
            values[name] = part(prompt, "选项：").split("，")
        elif name == "slots":
            values[name] = part(prompt, "问题：").split("，")
        else:
            label = {"premise": "前提：", "hypothesis": "假设：", "title": "标题："}.get(
                name, {"text1": "文本1：", "text2": "文本2："}.get(name, "")
            )
            values[name] = part(prompt, label)
    assert format_prompt(task, **values) == prompt


def test_format_prompt_names_what_is_missing() -> None:
    with pytest.raises(errors.ValidationError, match="'question'"):
        format_prompt("qa")
    with pytest.raises(errors.ValidationError, match="task"):
        format_prompt("no-such-task", text="x")


# -- the 1,024-character limit --------------------------------------------------------------------


def test_a_long_prompt_is_refused_by_default_naming_the_limit() -> None:
    prompt = "摘要：\n" + "长" * 1100 + "\n答案："
    with pytest.raises(errors.InputTooLongError) as caught:
        check_prompt(prompt)
    assert caught.value.parameter == "prompt"
    assert "1024" in caught.value.message and "truncate=True" in caught.value.message
    assert isinstance(caught.value, errors.ContextOverflowError)


def test_truncate_keeps_the_instruction_and_the_answer_slot() -> None:
    prompt = "摘要：\n" + "长" * 1100 + "\n答案："
    cut = check_prompt(prompt, truncate=True)
    assert len(cut) == 1024
    assert cut.startswith("摘要：\n长") and cut.endswith("长\n答案：")
    one_line = "长" * 2000
    assert check_prompt(one_line, truncate=True) == "长" * 1024
    assert check_prompt("短", truncate=True) == "短"


def test_empty_prompts_are_refused() -> None:
    with pytest.raises(errors.ValidationError, match="prompt"):
        check_prompt("  ")


# -- chat rendering -------------------------------------------------------------------------------

# The multi-turn ChatYuan prompt of the clueai package's README (its "多轮对话" example).
README_MULTI_TURN = (
    "用户：新冠什么症状？\n小元：新冠是指新型冠状病毒，其症状包括发热、干咳、乏力、嗅味觉减退、"
    "呼吸困难等。\n用户：可以吃什么药？\n小元：根据您提供的病史，目前没有明确的抗新冠病毒的药物，"
    "建议您在家进行自我隔离，避免与他人接触，多喝开水，清淡易消化饮食，避免熬夜和过度劳累，"
    "适当进行户外活动。\n用户：帮我写一个2023年工作规划\n小元："
)


def conversation(*turns: str) -> list[Message]:
    roles = ("user", "assistant")
    return [Message(roles[i % 2], text) for i, text in enumerate(turns)]  # type: ignore[arg-type]


def test_a_conversation_renders_as_the_readme_example() -> None:
    answers = re.findall(r"小元：(.+?)\n", README_MULTI_TURN)
    questions = re.findall(r"用户：(.+?)\n", README_MULTI_TURN)
    messages = conversation(questions[0], answers[0], questions[1], answers[1], questions[2])
    rendered = render_chat(messages)
    assert rendered.prompt == README_MULTI_TURN and rendered.dropped_turns == 0


def test_single_turn_and_system_text() -> None:
    assert render_chat([Message("user", "你好")]).prompt == "用户：你好\n小元："
    messages = [Message("system", "你是小元"), Message("user", "你好")]
    assert render_chat(messages).prompt == "你是小元\n用户：你好\n小元："


def test_same_role_turns_merge_and_leading_answers_are_kept() -> None:
    messages = [
        Message("system", "s1"),
        Message("system", "s2"),
        Message("assistant", "欢迎"),
        Message("user", "a"),
        Message("user", "b"),
    ]
    assert render_chat(messages).prompt == "s1\ns2\n小元：欢迎\n用户：a\nb\n小元："


def test_oldest_exchanges_are_dropped_to_fit_never_the_last_turn() -> None:
    messages = [Message("system", "系统")]
    messages += conversation("旧" * 400, "答" * 400, "中" * 100, "答" * 100, "最后的问题")
    rendered = render_chat(messages)
    assert rendered.dropped_turns == 1
    assert (
        rendered.prompt == f"系统\n用户：{'中' * 100}\n小元：{'答' * 100}\n用户：最后的问题\n小元："
    )
    tight = render_chat(messages, limit=30)
    assert tight.prompt == "系统\n用户：最后的问题\n小元：" and tight.dropped_turns == 2


def test_a_last_turn_that_cannot_fit_is_an_error_unless_truncate() -> None:
    question = "资料：\n" + "长" * 1100 + "\n\n问题：故宫是什么时候建成的？"
    messages = [Message("system", "只根据资料回答"), *conversation("旧问题", "旧回答", question)]
    with pytest.raises(errors.InputTooLongError) as caught:
        render_chat(messages)
    assert caught.value.parameter == "messages" and "truncate=True" in caught.value.message
    rendered = render_chat(messages, truncate=True)
    assert len(rendered.prompt) == 1024 and rendered.shortened and rendered.dropped_turns == 1
    assert rendered.prompt.startswith("只根据资料回答\n用户：资料：\n长")
    assert rendered.prompt.endswith("\n问题：故宫是什么时候建成的？\n小元：")


def test_truncate_shortens_a_huge_system_text_too() -> None:
    messages = [Message("system", "系" * 2000), Message("user", "问" * 2000)]
    rendered = render_chat(messages, truncate=True)
    assert len(rendered.prompt) <= 1024 and rendered.prompt.endswith("问\n小元：")
    assert rendered.prompt.count("系") == 512


def test_escaped_newlines_are_counted_as_sent() -> None:
    messages = conversation("第一行\n第二行")
    assert render_chat(messages, escape_newlines=True).prompt == "用户：第一行\\n第二行\\n小元："
    long = conversation("行\n" * 400, "答", "问\n" * 300)
    rendered = render_chat(long, escape_newlines=True)
    assert len(rendered.prompt) <= 1024 and rendered.dropped_turns == 1
    cut = render_chat(conversation("行\n" * 600), escape_newlines=True, truncate=True)
    assert len(cut.prompt) <= 1024 and cut.prompt.endswith("\\n小元：")


@pytest.mark.parametrize(
    ("messages", "text"),
    [
        ([Message("user", "q"), Message("assistant", "a")], "end with a user message"),
        ([Message("system", "s")], "end with a user message"),
        ([Message("tool", "r", tool_call_id="c")], "tool"),
        ([Message("user", [{"type": "image_url", "image_url": {"url": "x"}}])], "text only"),
    ],
)
def test_conversations_clueai_cannot_take_are_refused(messages: list[Message], text: str) -> None:
    with pytest.raises(errors.ValidationError, match=text):
        render_chat(messages)


# -- answers --------------------------------------------------------------------------------------


def test_clean_answer_restores_newlines_and_applies_stops() -> None:
    assert clean_answer("第一\\n第二", None, dialogue=True) == ("第一\n第二", False)
    assert clean_answer("好的。\n用户：再见\n小元：", None, dialogue=True) == ("好的。", True)
    assert clean_answer("好的。\n用户：再见", None, dialogue=False) == ("好的。\n用户：再见", False)
    assert clean_answer("abc you def", ["you", "c"], dialogue=False) == ("ab", True)
    assert clean_answer("abc", ["", "z"], dialogue=False) == ("abc", False)


def test_shorten_keeps_first_and_last_lines() -> None:
    assert prompts.shorten("a\nbbbbbbbbbb\nc", 7) == "a\nbbb\nc"
    assert prompts.shorten("abcdef", 3) == "abc"

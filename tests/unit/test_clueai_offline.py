"""The ClueAI LangChain classes offline: configuration, validation before sending, pickling,
secrets, exports (sockets are disabled here: anything that reaches the network fails)."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from langchain_core.exceptions import ContextOverflowError, ModelInvalidRequestError
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from pydantic import BaseModel

import langchain_cnllm
from cnllm import errors
from cnllm.clueai.protocol import DEFAULT_BASE_URL, DEFAULT_MODELFUN_URL
from langchain_cnllm import (
    ChatClueAI,
    ClueAIClassifier,
    ClueAIFineTuner,
    ClueAILLM,
    ClueAIRetriever,
    ClueAIText2ImageTool,
)
from langchain_cnllm.clueai_tools import save_image

SECRET = "clueai-SECRET-0123456789"
NAMES = (
    "ChatClueAI",
    "ClueAILLM",
    "ClueAIRetriever",
    "ClueAIClassifier",
    "ClueAIText2ImageTool",
    "ClueAIFineTuner",
)


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CLUEAI_API_KEY", "CLUEAI_BASE_URL", "CLUEAI_MODELFUN_URL"):
        monkeypatch.delenv(name, raising=False)


def test_public_names_are_exported() -> None:
    for name in NAMES:
        assert name in langchain_cnllm.__all__ and getattr(langchain_cnllm, name)


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    chat = ChatClueAI()
    assert chat.api_key is None and chat.model == "ChatYuan-large"
    assert (chat.base_url, chat.modelfun_url) == (DEFAULT_BASE_URL, DEFAULT_MODELFUN_URL)
    assert DEFAULT_BASE_URL == "https://clueai.cn/clueai"
    assert DEFAULT_MODELFUN_URL == "https://www.modelfun.cn/modelfun/api"
    assert chat.timeout == 200.0
    monkeypatch.setenv("CLUEAI_API_KEY", SECRET)
    monkeypatch.setenv("CLUEAI_BASE_URL", "http://127.0.0.1:1/clueai")
    monkeypatch.setenv("CLUEAI_MODELFUN_URL", "http://127.0.0.1:1/modelfun/api")
    for cls in (ChatClueAI, ClueAILLM, ClueAIFineTuner):
        model = cls()
        assert model.api_key is not None and model.api_key.get_secret_value() == SECRET
        assert model.base_url == "http://127.0.0.1:1/clueai"
        assert model.modelfun_url == "http://127.0.0.1:1/modelfun/api"
    retriever = ClueAIRetriever(engine_key="se-1")
    assert retriever.client.base_url == "http://127.0.0.1:1/clueai"
    assert ClueAILLM(clueai_api_key="other").api_key.get_secret_value() == "other"  # type: ignore[union-attr]


def test_secrets_stay_out_of_reprs_and_survive_pickling() -> None:
    chat = ChatClueAI(api_key=SECRET, top_p=0.8)
    _ = chat.client
    for text in (repr(chat), str(chat), repr(chat.client)):
        assert SECRET not in text
    restored = pickle.loads(pickle.dumps(chat))
    assert restored.api_key.get_secret_value() == SECRET
    assert restored.top_p == 0.8 and restored._client is None
    assert chat.lc_secrets == {"api_key": "CLUEAI_API_KEY"}
    retriever = pickle.loads(pickle.dumps(ClueAIRetriever(engine_key="se-1", api_key=SECRET)))
    assert retriever.engine_key == "se-1"


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"top_p": 2}, "top_p"),
        ({"num_beams": 0}, "num_beams"),
        ({"return_likelihoods": "SOME"}, "return_likelihoods"),
        ({"finetune_base": "GPT"}, "finetune_base"),
        ({"min_length": 9, "max_length": 3}, "min_length"),
    ],
)
def test_bad_settings_fail_at_construction_naming_the_parameter(
    kwargs: dict[str, object], parameter: str
) -> None:
    for cls in (ChatClueAI, ClueAILLM):
        with pytest.raises(ValueError, match=parameter):
            cls(**kwargs)


def test_bind_tools_raises_clearly() -> None:
    with pytest.raises(errors.ValidationError, match="no native tool calling"):
        ChatClueAI().bind_tools([{"name": "f", "description": "d", "parameters": {}}])


def test_structured_output_is_prompt_and_parse() -> None:
    class Joke(BaseModel):
        setup: str

    assert isinstance(ChatClueAI().with_structured_output(Joke), Runnable)


def test_keyed_models_without_a_key_fail_before_sending() -> None:
    with pytest.raises(errors.ConfigurationError, match="CLUEAI_API_KEY"):
        ChatClueAI().invoke("你好")
    with pytest.raises(errors.ConfigurationError, match="clueai-large"):
        ClueAILLM(model="clueai-large").invoke("你好")
    with pytest.raises(errors.ConfigurationError):
        ClueAIClassifier(labels=["a", "b"]).invoke("x")
    with pytest.raises(errors.ConfigurationError):
        ClueAIFineTuner().upload([("q", "a")])


def test_long_prompts_fail_before_sending() -> None:
    llm = ClueAILLM(api_key="k")
    with pytest.raises(ContextOverflowError) as caught:
        llm.invoke("长" * 1025)
    assert isinstance(caught.value, errors.InputTooLongError)
    chat = ChatClueAI(api_key="k")
    with pytest.raises(ContextOverflowError, match="truncate=True"):
        chat.invoke("长" * 1100)


def test_call_time_values_are_checked_before_sending() -> None:
    with pytest.raises(ModelInvalidRequestError, match="top_p"):
        ClueAILLM(api_key="k").invoke("x", top_p=3)
    with pytest.raises(ModelInvalidRequestError, match="return_likelihoods"):
        ChatClueAI(api_key="k").invoke("x", return_likelihoods="NO")


def test_the_retriever_checks_its_corpus_before_uploading(tmp_path: Path) -> None:
    with pytest.raises(ModelInvalidRequestError, match=r"texts\[0\]"):
        ClueAIRetriever.from_texts([""])
    bad = tmp_path / "c.json"
    bad.write_text('{"title": "a"}\n{"name": "b"}\n', encoding="utf-8")
    with pytest.raises(ModelInvalidRequestError, match="record 2"):
        ClueAIRetriever.from_file(bad, field="title")
    with pytest.raises(ValueError, match="k"):
        ClueAIRetriever(engine_key="se-1", k=0)


def test_the_classifier_checks_labels_and_examples_at_construction() -> None:
    with pytest.raises(ValueError, match="examples"):
        ClueAIClassifier(labels=["好", "坏"], examples=[{"text": "t", "label": "中"}])
    with pytest.raises(ValueError, match="labels"):
        ClueAIClassifier(labels=[])


def test_the_text_to_image_tool_describes_its_arguments() -> None:
    tool = ClueAIText2ImageTool()
    assert isinstance(tool, BaseTool) and tool.name == "clueai_text2image"
    assert set(tool.args) == {"prompt", "style"}


def test_images_are_written_whole(tmp_path: Path) -> None:
    path = save_image(b"\x89PNG...", "png", tmp_path / "out")
    assert path.read_bytes() == b"\x89PNG..." and path.suffix == ".png"
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no leftover .part file


def test_the_fine_tuner_hands_its_settings_to_the_models() -> None:
    tuner = ClueAIFineTuner(api_key=SECRET, finetune_base="chatyuan", base_url="http://h/clueai")
    assert tuner.base == "ChatYuan"
    llm = tuner.llm("ft-1", max_length=64)
    assert (llm.engine_key, llm.finetune_base, llm.base_url) == (
        "ft-1",
        "ChatYuan",
        "http://h/clueai",
    )
    assert llm.api_key.get_secret_value() == SECRET  # type: ignore[union-attr]
    chat = tuner.chat_model("ft-1")
    assert chat.engine_key == "ft-1" and chat._model_name() == "ChatYuan-finetuned:ft-1"

"""Every public class: constructor input never shown in a validation error, unknown arguments
never dropped silently, base URLs and NaN/inf refused at construction (issue 10 §4, §6, §8)."""

from __future__ import annotations

import math
import warnings
from typing import Any

import pytest
from pydantic import ValidationError as PydanticValidationError

import langchain_cnllm
import llamaindex_cnllm
from cnllm import errors

SECRET = "sk-SECRET-0123456789abcdef"
KOALA_URL = "http://127.0.0.1:9/v1"

# The smallest valid configuration of each vendor, every credential the SECRET.
VENDOR_KWARGS: dict[str, dict[str, Any]] = {
    "Qianfan": {"qianfan_ak": SECRET, "qianfan_sk": SECRET},
    "DashScope": {"api_key": SECRET},
    "Koala": {"base_url": KOALA_URL, "api_key": SECRET},
    "ClueAI": {"api_key": SECRET},
}
REQUIRED: dict[str, dict[str, Any]] = {
    "ClueAIClassifier": {"labels": ["好", "坏"]},
    "ClueAIRetriever": {"engine_key": "engine-1"},
}
# Classes whose contents go to a request body: unknown arguments are moved there, warned.
BODY_FIELD = {
    "ChatQianfan": "model_kwargs",
    "ChatDashScope": "model_kwargs",
    "ChatKoala": "model_kwargs",
    "ChatClueAI": "model_kwargs",
    "QianfanLLM": "model_kwargs",
    "DashScopeLLM": "model_kwargs",
    "KoalaLLM": "model_kwargs",
    "ClueAILLM": "generate_config",
    "Qianfan": "additional_kwargs",
    "DashScope": "additional_kwargs",
    "Koala": "additional_kwargs",
    "ClueAI": "additional_kwargs",
}


def _classes() -> list[tuple[str, type]]:
    found = []
    for module in (langchain_cnllm, llamaindex_cnllm):
        for name in module.__all__:
            cls = getattr(module, name)
            if hasattr(cls, "model_fields"):
                found.append((f"{module.__name__}.{name}", cls))
    # LlamaIndex's ClueAIRetriever is no pydantic model: its settings are ClueAIEngine's.
    from cnllm.clueai.engine import ClueAIEngine

    found.append(("cnllm.clueai.engine.ClueAIEngine", ClueAIEngine))
    return found


CLASSES = _classes()
IDS = [name for name, _ in CLASSES]


def kwargs_for(cls: type) -> dict[str, Any]:
    name = cls.__name__
    vendor = next(v for v in VENDOR_KWARGS if v in name)
    key = "ClueAIRetriever" if name in ("ClueAIRetriever", "ClueAIEngine") else name
    if name == "QianfanRerank":  # Qianfan v2 only: an API key, no OAuth pair
        return {"api_key": SECRET}
    return {**VENDOR_KWARGS[vendor], **REQUIRED.get(key, {})}


@pytest.fixture(autouse=True)
def _no_vendor_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "QIANFAN_BASE_URL",
        "DASHSCOPE_HTTP_BASE_URL",
        "CLUEAI_BASE_URL",
        "KOALA_BASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)


def test_every_class_is_covered() -> None:
    # 17 LangChain + 9 LlamaIndex pydantic classes (rerankers included) + ClueAIEngine
    assert len(CLASSES) == 27


# -- §6: validation errors never echo constructor input -----------------------------------------


@pytest.mark.parametrize(("name", "cls"), CLASSES, ids=IDS)
def test_a_validation_error_never_shows_the_secret(name: str, cls: type) -> None:
    # The key given to the wrong field by mistake: pydantic used to print it as input_value.
    bad = {**kwargs_for(cls), "max_retries": SECRET}
    with pytest.raises(PydanticValidationError) as caught:
        cls(**bad)
    assert "max_retries" in str(caught.value)
    assert SECRET not in str(caught.value) and SECRET not in repr(caught.value)
    assert SECRET not in str(caught.value.errors(include_input=False))


def test_a_model_level_error_hides_the_secret_too() -> None:
    # The issue's own example: an unknown model fails in an after-validator, whose
    # input_value used to be the whole constructor dict.
    # pydantic shortens input_value to its ends: a short secret shows whole.
    short = "sk-ab12cd"
    with pytest.raises(PydanticValidationError) as caught:
        langchain_cnllm.ChatQianfan(model="ERNIE-9000", qianfan_ak=short, qianfan_sk=short)
    assert "ERNIE-9000" in str(caught.value)
    assert short not in str(caught.value)


# -- §8: unknown arguments -----------------------------------------------------------------------


@pytest.mark.parametrize(("name", "cls"), CLASSES, ids=IDS)
def test_an_unknown_argument_is_never_dropped(name: str, cls: type) -> None:
    body_field = BODY_FIELD.get(cls.__name__)
    if body_field is None:
        with pytest.raises(PydanticValidationError, match="'batchsize'") as caught:
            cls(**kwargs_for(cls), batchsize=3)
        assert "valid arguments" in str(caught.value) and "max_retries" in str(caught.value)
        return
    with pytest.warns(UserWarning, match="'temprature'"):
        model = cls(**kwargs_for(cls), temprature=0.5)
    assert getattr(model, body_field)["temprature"] == 0.5


def test_the_issue_examples() -> None:
    with pytest.warns(UserWarning, match="temprature.*model_kwargs"):
        chat = langchain_cnllm.ChatQianfan(**VENDOR_KWARGS["Qianfan"], temprature=0.5)
    assert chat.model_kwargs == {"temprature": 0.5}
    with pytest.warns(UserWarning, match="stream_usage"):
        chat = langchain_cnllm.ChatQianfan(**VENDOR_KWARGS["Qianfan"], stream_usage=True)
    assert chat.model_kwargs == {"stream_usage": True}
    with pytest.raises(PydanticValidationError, match=r"batchsize.*embed_batch_size"):
        llamaindex_cnllm.QianfanEmbedding(**VENDOR_KWARGS["Qianfan"], batchsize=4)


def test_known_names_and_aliases_pass_without_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        chat = langchain_cnllm.ChatQianfan(
            api_key=SECRET,
            secret_key=SECRET,
            model_name="ERNIE-3.5-8K",
            request_timeout=5,
            stop_sequences=["x"],
            model_kwargs={"extra_field": 1},
            tags=["t"],
        )
        assert chat.model_kwargs == {"extra_field": 1}
        llamaindex_cnllm.QianfanEmbedding(**VENDOR_KWARGS["Qianfan"], model="bge-large-zh")


def test_an_argument_given_twice_is_refused() -> None:
    with pytest.raises(PydanticValidationError, match="given twice"):
        langchain_cnllm.ChatKoala(**VENDOR_KWARGS["Koala"], foo=1, model_kwargs={"foo": 2})


def test_a_llamaindex_round_trip_still_works() -> None:
    embedding = llamaindex_cnllm.QianfanEmbedding(**VENDOR_KWARGS["Qianfan"])
    data = embedding.to_dict()
    assert data["class_name"] == "QianfanEmbedding"
    rebuilt = llamaindex_cnllm.QianfanEmbedding.from_dict(data)
    assert rebuilt.model_name == embedding.model_name


# -- §4: configuration errors at construction ----------------------------------------------------


def _url_fields(cls: type) -> list[str]:
    return [name for name in cls.model_fields if name.endswith("url")]


@pytest.mark.parametrize(("name", "cls"), CLASSES, ids=IDS)
@pytest.mark.parametrize("url", ["127.0.0.1:8000/v1", "ftp://host/v1", "localhost"])
def test_a_base_url_without_http_is_refused_naming_the_field(
    name: str, cls: type, url: str
) -> None:
    for field in _url_fields(cls):
        with pytest.raises(errors.ConfigurationError, match=field):
            cls(**{**kwargs_for(cls), field: url})


@pytest.mark.parametrize(("name", "cls"), CLASSES, ids=IDS)
@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_nan_and_inf_are_refused_in_numeric_fields(name: str, cls: type, value: float) -> None:
    with pytest.raises(PydanticValidationError, match="timeout") as caught:
        cls(**kwargs_for(cls), timeout=value)
    assert "finite" in str(caught.value)


@pytest.mark.parametrize("name", sorted(BODY_FIELD))
def test_nan_is_refused_inside_the_body_field(name: str) -> None:
    cls = dict((c.__name__, c) for _, c in CLASSES)[name]
    field = BODY_FIELD[name]
    with pytest.raises(PydanticValidationError, match=r"\['nested'\]\['x'\] is not a finite"):
        cls(**kwargs_for(cls), **{field: {"nested": {"x": math.nan}}})


def test_temperature_nan_is_refused_by_name() -> None:
    with pytest.raises(PydanticValidationError, match="temperature"):
        langchain_cnllm.ChatDashScope(**VENDOR_KWARGS["DashScope"], temperature=math.nan)


# -- ClueAILLM max_tokens (§7) -------------------------------------------------------------------


def test_clueai_llm_max_tokens_is_max_length() -> None:
    llm = langchain_cnllm.ClueAILLM(**VENDOR_KWARGS["ClueAI"], max_tokens=64)
    assert llm.max_length == 64
    _, config, _ = llm._prepare(None, {})
    assert config.to_dict()["max_length"] == 64
    _, config, _ = llm._prepare(None, {"max_tokens": 8})
    assert config.to_dict() == {"max_length": 8}  # never sent as an unknown "max_tokens"


@pytest.mark.parametrize("value", [-5, 0, 1.5])
def test_clueai_llm_bad_max_tokens_is_refused(value: Any) -> None:
    with pytest.raises(PydanticValidationError, match="max_tokens"):
        langchain_cnllm.ClueAILLM(**VENDOR_KWARGS["ClueAI"], max_tokens=value)


@pytest.mark.parametrize("value", [-5, 0, True, 1.5, "8"])
def test_clueai_llm_bad_call_time_max_tokens_is_refused(value: Any) -> None:
    llm = langchain_cnllm.ClueAILLM(**VENDOR_KWARGS["ClueAI"])
    with pytest.raises(errors.ValidationError, match="max_tokens"):
        llm._prepare(None, {"max_tokens": value})


def test_clueai_llm_max_tokens_conflicting_with_max_length_is_refused() -> None:
    with pytest.raises(PydanticValidationError, match="conflicts with max_length"):
        langchain_cnllm.ClueAILLM(**VENDOR_KWARGS["ClueAI"], max_tokens=5, max_length=6)


@pytest.mark.parametrize("cls", [langchain_cnllm.ChatClueAI, llamaindex_cnllm.ClueAI])
def test_clueai_chat_max_tokens_is_checked_by_name_at_construction(cls: type) -> None:
    with pytest.raises(PydanticValidationError, match="max_tokens"):
        cls(**VENDOR_KWARGS["ClueAI"], max_tokens=-5)

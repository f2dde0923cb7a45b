"""The DashScope LangChain classes without the network: configuration, validation, secrets."""

from __future__ import annotations

import pickle
from typing import Any

import pytest
from langchain_core.messages import HumanMessage

from cnllm import errors
from langchain_cnllm import ChatDashScope, DashScopeEmbeddings, DashScopeLLM

KEY = "sk-unit-SECRET-777"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "DASHSCOPE_API_KEY",
        "DASHSCOPE_HTTP_BASE_URL",
        "DASHSCOPE_WORKSPACE_ID",
        "DASHSCOPE_DISABLE_DATA_INSPECTION",
    ):
        monkeypatch.delenv(name, raising=False)


def test_defaults() -> None:
    chat = ChatDashScope()
    assert chat.base_url == "https://dashscope.aliyuncs.com/api/v1"
    assert chat._model_name() == "qwen-plus"
    assert chat.dashscope_api_key is None and chat.workspace is None
    assert not chat.data_inspection
    assert DashScopeEmbeddings().model == "text-embedding-v2"


@pytest.mark.parametrize(
    ("value", "expected"), [("false", True), ("FALSE", True), ("true", False), ("0", False)]
)
def test_the_inverted_data_inspection_switch(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: bool
) -> None:
    monkeypatch.setenv("DASHSCOPE_DISABLE_DATA_INSPECTION", value)
    assert ChatDashScope().data_inspection is expected


@pytest.mark.parametrize(
    ("cls", "kwargs", "parameter"),
    [
        (ChatDashScope, {"temperature": 2.0}, "temperature"),
        (ChatDashScope, {"top_p": 0.0}, "top_p"),
        (ChatDashScope, {"presence_penalty": -3.0}, "presence_penalty"),
        (DashScopeLLM, {"max_tokens": 0}, "max_tokens"),
        (DashScopeEmbeddings, {"model": "text-embedding-v2", "dimension": 256}, "dimension"),
        (DashScopeEmbeddings, {"model": "text-embedding-v3", "dimension": 2048}, "dimension"),
        (DashScopeEmbeddings, {"model": "text-embedding-v3", "batch_size": 25}, "batch_size"),
    ],
)
def test_bad_values_fail_at_construction(
    cls: type[Any], kwargs: dict[str, Any], parameter: str
) -> None:
    with pytest.raises(ValueError, match=parameter):
        cls(**kwargs)


def test_retired_and_wrong_kind_models_fail_at_construction() -> None:
    # pydantic wraps what the validator raised; both are ValueErrors naming the problem.
    with pytest.raises(ValueError, match=r"retired by DashScope on 2026-10-10; use qwen3\.7-plus"):
        ChatDashScope(model="qwen-vl-max")
    with pytest.raises(ValueError, match="not a chat model"):
        DashScopeLLM(model="text-embedding-v3")


def test_chatyuan_has_no_tools_and_prompts_for_json() -> None:
    chat = ChatDashScope(model="chatyuan-large-v2")
    assert not chat._supports_tools() and not chat._supports_json_mode()
    with pytest.raises(ValueError, match="no native tool calling"):
        chat.bind_tools([{"type": "function", "function": {"name": "f", "parameters": {}}}])
    qwen = ChatDashScope(model="qwen-max")
    assert qwen._supports_tools() and qwen._supports_json_mode()


def test_call_time_kwargs_reach_the_request() -> None:
    chat = ChatDashScope(model="qwen-plus", seed=1, model_kwargs={"enable_search": True})
    request = chat._build_request([HumanMessage("hi")], None, {"seed": 5, "top_k": 3, "n": 2})
    assert request.params.top_k == 3
    assert request.params.extra == {"seed": 5, "enable_search": True, "n": 2}


def test_ls_params() -> None:
    params = ChatDashScope(model="qwen-plus", temperature=0.3)._get_ls_params()
    assert params["ls_provider"] == "dashscope" and params["ls_model_name"] == "qwen-plus"
    llm_params = DashScopeLLM(model="chatyuan-large-v2")._get_ls_params()
    assert llm_params["ls_model_name"] == "chatyuan-large-v2"


def test_the_key_is_secret_and_survives_pickling() -> None:
    for obj in (
        ChatDashScope(api_key=KEY),
        DashScopeLLM(api_key=KEY),
        DashScopeEmbeddings(api_key=KEY),
    ):
        assert KEY not in repr(obj) and KEY not in str(obj)
        obj.client  # noqa: B018 - made lazily; dropped when pickled
        assert KEY not in repr(obj.client)
        restored = pickle.loads(pickle.dumps(obj))
        assert restored._client is None
        assert restored.dashscope_api_key.get_secret_value() == KEY


def test_a_missing_key_fails_before_sending() -> None:
    with pytest.raises(errors.ConfigurationError, match="DASHSCOPE_API_KEY"):
        ChatDashScope().invoke("hi")  # sockets are disabled here: nothing was sent


def test_llm_call_time_kwargs_reach_the_request() -> None:
    llm = DashScopeLLM(model="qwen-plus", seed=1, top_p=0.5, repetition_penalty=1.1)
    request = llm._request("hi", ["。"], {"seed": 9, "top_k": 4, "enable_search": True})
    params = request.params
    assert (params.top_p, params.top_k, params.penalty_score) == (0.5, 4, 1.1)
    assert params.stop == ("。",)
    assert params.extra == {"seed": 9, "enable_search": True}

"""The LangChain Qianfan classes on v2, against the emulator, configured as a user would:
only ``QIANFAN_API_KEY`` (or only the IAM pair) and the v2 base URL in the environment."""

from __future__ import annotations

import logging
import warnings

import pytest
from langchain_core.language_models import ModelProfile
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from cnllm import errors
from cnllm.emulator import Emulator
from cnllm.qianfan import settings
from langchain_cnllm import ChatQianfan, QianfanEmbeddings, QianfanLLM

V2_KEY = "bce-v3/ALTAK-langchain/0123456789abcdef0123456789abcdef01234567"
QIANFAN_VARS = (
    "QIANFAN_AK",
    "QIANFAN_SK",
    "QIANFAN_ACCESS_KEY",
    "QIANFAN_SECRET_KEY",
    "QIANFAN_ACCESS_TOKEN",
    "QIANFAN_API_KEY",
    "QIANFAN_BASE_URL",
    "QIANFAN_APPID",
)


@pytest.fixture
def v2_env(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    for name in QIANFAN_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("QIANFAN_API_KEY", V2_KEY)
    monkeypatch.setenv("QIANFAN_V2_BASE_URL", f"{emulator.base_url}/v2")
    return emulator


@pytest.fixture
def iam_env(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    for name in QIANFAN_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("QIANFAN_ACCESS_KEY", "iam-ak-langchain")
    monkeypatch.setenv("QIANFAN_SECRET_KEY", "iam-sk-langchain")
    monkeypatch.setenv("QIANFAN_V2_BASE_URL", f"{emulator.base_url}/v2")
    monkeypatch.setenv("QIANFAN_IAM_BASE_URL", emulator.base_url)
    return emulator


@tool
def get_weather(city: str) -> str:
    """查询一个城市的天气。"""
    return f"{city}：晴，20℃"


class Answer(BaseModel):
    """An answer and how sure the model is."""

    answer: str
    confidence: int


def test_invoke_stream_and_ainvoke_on_v2(v2_env: Emulator) -> None:
    chat = ChatQianfan(model="ernie-4.5-turbo-128k")
    assert chat.api == "v2" and "api_version='v2'" in repr(chat)
    message = chat.invoke("你好")
    assert message.content and message.response_metadata["api"] == "v2"
    assert message.response_metadata["model_name"] == "ernie-4.5-turbo-128k"
    assert message.usage_metadata["total_tokens"] > 0
    assert v2_env.stats.last_request.headers["Authorization"] == f"Bearer {V2_KEY}"
    chunks = list(chat.stream("你好"))
    assert "".join(str(c.content) for c in chunks) and chunks[-1].usage_metadata


async def test_async_and_a_reasoning_stream(v2_env: Emulator) -> None:
    chat = ChatQianfan(model="ernie-x1-turbo-32k")
    answer = await chat.ainvoke("你好")
    assert answer.content and answer.additional_kwargs["reasoning_content"]
    assert answer.usage_metadata["output_token_details"]["reasoning"] > 0
    chunks = [chunk async for chunk in chat.astream("9.11 和 9.9 哪个大？")]
    thought = "".join(c.additional_kwargs.get("reasoning_content", "") for c in chunks)
    first_text = next(i for i, c in enumerate(chunks) if c.content)
    assert thought and all(
        "reasoning_content" not in c.additional_kwargs for c in chunks[first_text:]
    )
    assert chunks[-1].usage_metadata["output_tokens"] > 0


def test_reasoning_goes_back_only_inside_a_tool_loop(v2_env: Emulator) -> None:
    chat = ChatQianfan(model="deepseek-v3.2", enable_thinking=True).bind_tools([get_weather])
    history: list = [HumanMessage("北京天气怎么样？")]
    called = chat.invoke(history)
    assert called.tool_calls and called.additional_kwargs["reasoning_content"]
    history += [called, ToolMessage("晴", tool_call_id=called.tool_calls[0]["id"])]
    final = chat.invoke(history)
    sent = v2_env.stats.last_request.json
    assert sent["thinking"] == {"type": "enabled"}
    assert sent["messages"][1]["reasoning_content"] == called.additional_kwargs["reasoning_content"]
    history += [final, HumanMessage("上海呢？")]
    chat.invoke(history)
    plain_turn = v2_env.stats.last_request.json["messages"][3]
    assert plain_turn["role"] == "assistant" and "reasoning_content" not in plain_turn


def test_a_tool_calling_agent_loop(v2_env: Emulator) -> None:
    chat = ChatQianfan(model="ernie-4.5-turbo-128k").bind_tools([get_weather])
    history: list = [HumanMessage("北京天气怎么样？")]
    called = chat.invoke(history)
    assert isinstance(called, AIMessage) and called.tool_calls
    history.append(called)
    for call in called.tool_calls:
        history.append(ToolMessage(get_weather.invoke(call["args"]), tool_call_id=call["id"]))
    final = chat.invoke(history)
    assert final.content and not final.tool_calls
    sent = v2_env.stats.last_request.json["messages"]
    assert sent[1]["content"] == "" and sent[2]["name"] == "get_weather"


def test_structured_output_with_native_tools(v2_env: Emulator) -> None:
    result = (
        ChatQianfan(model="ernie-4.5-turbo-128k")
        .with_structured_output(Answer)
        .invoke("天空是什么颜色？")
    )
    assert isinstance(result, Answer)


def test_v1_names_map_deployed_services_pass_through(v2_env: Emulator) -> None:
    ChatQianfan(model="ERNIE-3.5-8K").invoke("你好")
    assert v2_env.stats.last_request.json["model"] == "ernie-3.5-8k"
    ChatQianfan(model="my-deployed-service").invoke("你好")
    assert v2_env.stats.last_request.json["model"] == "my-deployed-service"


def test_profile_comes_from_the_v2_table(v2_env: Emulator) -> None:
    profile: ModelProfile = ChatQianfan(model="ernie-x1-turbo-32k").profile or {}
    assert profile["reasoning_output"] and profile["max_input_tokens"] == 32768
    assert not profile["structured_output"]
    assert ChatQianfan(model="my-deployed-service").profile["tool_calling"] is False


def test_values_are_checked_at_construction(v2_env: Emulator) -> None:
    # pydantic wraps the ValidationError raised in a validator; the message names the field
    with pytest.raises(PydanticValidationError, match=r"'temperature': 1\.5 is outside"):
        ChatQianfan(model="ernie-4.5-turbo-128k", temperature=1.5)
    with pytest.raises(PydanticValidationError, match="top_k"):
        ChatQianfan(model="ernie-4.5-turbo-128k", top_k=5)
    with pytest.raises(errors.ValidationError):
        ChatQianfan(model="ernie-x1-turbo-32k").invoke("hi", stop=["a"])
    assert v2_env.stats.requests.get("/v2/chat/completions") is None


def test_completion_service_embeddings_and_models(v2_env: Emulator) -> None:
    assert QianfanLLM(model="my-cerebras-service").invoke("introduce the city beijing")
    assert v2_env.stats.last_request.path == "/v2/completions"
    assert QianfanLLM(model="ernie-4.5-turbo-128k").invoke("你好")
    assert v2_env.stats.last_request.path == "/v2/chat/completions"  # a chat model: one turn
    vectors = QianfanEmbeddings(model="embedding-v1").embed_documents([f"t{i}" for i in range(20)])
    assert len(vectors) == 20 and v2_env.stats.requests["/v2/embeddings"] == 2
    assert "ernie-4.5-turbo-128k" in ChatQianfan().list_models()


def test_only_the_iam_pair_mints_one_bearer(
    iam_env: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    chat = ChatQianfan(model="ernie-4.5-turbo-128k")
    assert chat.api == "v2"
    chat.invoke("你好")
    list(chat.stream("你好"))
    QianfanEmbeddings().embed_query("你好")
    assert iam_env.stats.token_requests == 1
    bearer = iam_env.stats.last_request.headers["Authorization"].removeprefix("Bearer ")
    assert bearer.startswith("bce-v3/") and bearer not in caplog.text
    assert bearer not in repr(chat) and "iam-sk-langchain" not in repr(chat)


@pytest.mark.filterwarnings("ignore:Qianfan v1")
def test_oauth_keys_select_v1_with_one_warning(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in QIANFAN_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(settings, "_WARNED", [])
    with pytest.warns(UserWarning, match="2026-08-31"):  # Baidu's own v1 host: switched off
        public = ChatQianfan(model="ERNIE-3.5-8K", api_key="ak", secret_key="sk")
    assert public.api == "v1"
    monkeypatch.setattr(settings, "_WARNED", [])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the emulator (any other host) keeps v1 quietly
        chat = ChatQianfan(
            model="ERNIE-3.5-8K", api_key="ak", secret_key="sk", base_url=emulator.base_url
        )
    assert chat.api == "v1"
    assert chat.invoke("你好").response_metadata["api"] == "v1"
    assert ChatQianfan(model="x", endpoint="svc", api_key=V2_KEY).api == "v1"
    assert ChatQianfan(api_key=V2_KEY, api_version="v1").api == "v1"


@pytest.mark.filterwarnings("ignore:Qianfan v1")
def test_a_v2_key_beats_oauth_keys_in_the_environment(
    v2_env: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QIANFAN_AK", "env-ak")
    monkeypatch.setenv("QIANFAN_SK", "env-sk")
    assert ChatQianfan().api == "v2"
    assert ChatQianfan(api_key="ak", secret_key="sk").api == "v1"  # passed beats the env


def test_a_bad_key_is_a_langchain_authentication_error(v2_env: Emulator) -> None:
    from langchain_core.exceptions import ModelAuthenticationError  # type: ignore[attr-defined]

    with pytest.raises(ModelAuthenticationError) as caught:
        ChatQianfan(api_key="24.an-old-oauth-access-token").invoke("你好")
    assert "QIANFAN_API_KEY" in str(caught.value)


def test_images_from_standard_blocks_reach_a_vision_model(v2_env: Emulator) -> None:
    image = {"type": "image", "url": "https://example.com/parking.jpg"}
    message = HumanMessage(content=[{"type": "text", "text": "图片里有什么？"}, image])
    answer = ChatQianfan(model="ernie-4.5-turbo-vl-32k").invoke([message])
    assert "parking.jpg" in str(answer.content)
    sent = v2_env.stats.last_request.json["messages"][0]["content"]
    assert sent[1] == {"type": "image_url", "image_url": {"url": image["url"]}}
    with pytest.raises(errors.ValidationError, match="takes no images"):
        ChatQianfan(model="ernie-4.5-turbo-128k").invoke([message])


def test_web_search_results_and_the_appid_header(
    v2_env: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QIANFAN_APPID", "app-tODvu5IS")
    search = {"enable": True, "enable_trace": True, "enable_citation": True, "search_number": 5,
              "reference_number": 2}  # fmt: skip
    chat = ChatQianfan(model="ernie-4.5-turbo-128k", model_kwargs={"web_search": search})
    message = chat.invoke("今天北京有什么新闻？")
    assert [r["index"] for r in message.response_metadata["search_results"]] == [1, 2]
    assert message.response_metadata["search_tokens"] == 40
    assert v2_env.stats.last_request.headers["appid"] == "app-tODvu5IS"
    with pytest.raises(PydanticValidationError, match="search_mode"):
        ChatQianfan(
            model="ernie-4.5-turbo-128k", model_kwargs={"web_search": {"search_mode": "auto"}}
        )

"""The ChatYuan seed's own exchanges, replayed by vcrpy with the network blocked.

The key is a placeholder (the Authorization header is filtered out of the cassettes).
Re-record against the live service with a real key: see tests/cassette/README.md.
"""

from __future__ import annotations

import os

import pytest
from langchain_core.exceptions import ModelAuthenticationError
from langchain_core.messages import HumanMessage

from langchain_cnllm import ChatDashScope, DashScopeLLM
from tests.cassette.conftest import CASSETTES

LIVE = os.environ.get("VCR_RECORD_MODE", "none") != "none"
# The seed's curl prompt: ASCII punctuation, a literal backslash-n, no colon after 小元.
SEED_PROMPT = "用户:帮我写个请假条,我因为感冒不舒服,需要请假1天,请领导批准\\n小元"
SEED_QUESTION = "帮我写个请假条,我因为感冒不舒服,需要请假1天,请领导批准"
SEED_ANSWER = "尊敬的领导:\n\n我因感冒不适,需要请假一天,希望您能够"
SEED_REQUEST_ID = "2f632081-cb29-9f8b-a5c4-1af836cb794e"


@pytest.fixture(scope="module")
def vcr_cassette_dir() -> str:
    return str(CASSETTES / "dashscope")


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The default host; a placeholder key when replaying, the real one when recording."""
    for name in ("DASHSCOPE_HTTP_BASE_URL", "DASHSCOPE_WORKSPACE_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("DASHSCOPE_DISABLE_DATA_INSPECTION", raising=False)
    return {} if LIVE else {"api_key": "sk-cassette-placeholder"}


@pytest.mark.vcr("chatyuan_curl.yaml")
def test_the_seed_curl_exchange(settings: dict[str, str]) -> None:
    result = DashScopeLLM(model="chatyuan-large-v2", max_retries=0, **settings).generate(
        [SEED_PROMPT]
    )
    generation = result.generations[0][0]
    assert generation.text == SEED_ANSWER  # the literal \n of the answer became newlines
    assert generation.generation_info is not None
    assert generation.generation_info["request_id"] == SEED_REQUEST_ID
    assert "usage_metadata" not in generation.generation_info
    assert result.llm_output == {"model_name": "chatyuan-large-v2"}  # no usage: not zeros


@pytest.mark.vcr("chatyuan_curl.yaml")
async def test_the_seed_curl_exchange_async(settings: dict[str, str]) -> None:
    llm = DashScopeLLM(model="chatyuan-large-v2", max_retries=0, **settings)
    assert await llm.ainvoke(SEED_PROMPT) == SEED_ANSWER


@pytest.mark.vcr("chatyuan_chat.yaml")
def test_the_seed_conversation_as_chatdashscope_renders_it(settings: dict[str, str]) -> None:
    chat = ChatDashScope(model="chatyuan-large-v2", max_retries=0, **settings)
    message = chat.invoke([HumanMessage(SEED_QUESTION)])
    assert message.content == SEED_ANSWER
    assert message.usage_metadata is None
    assert message.response_metadata["request_id"] == SEED_REQUEST_ID


@pytest.mark.vcr("chatyuan_error.yaml")
def test_the_seed_error_example(settings: dict[str, str]) -> None:
    llm = DashScopeLLM(model="chatyuan-large-v2", **settings)  # retries on: none may happen
    with pytest.raises(ModelAuthenticationError) as caught:
        llm.invoke(SEED_PROMPT)
    error = caught.value
    assert getattr(error, "code", None) == "InvalidApiKey"
    assert getattr(error, "request_id", None) == SEED_REQUEST_ID
    assert "Invalid API-key provided." in str(error)


def test_no_secret_is_in_any_dashscope_cassette() -> None:
    for path in (CASSETTES / "dashscope").glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        for marker in ("Bearer", "Authorization", "authorization", "sk-"):
            assert marker not in text, f"{marker} in {path.name}"

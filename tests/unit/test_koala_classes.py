"""The Koala LangChain classes offline: construction, validation, configuration."""

from __future__ import annotations

import pickle

import pytest
from langchain_core.messages import HumanMessage
from pydantic import ValidationError as PydanticValidationError

from cnllm import errors
from langchain_cnllm import ChatKoala, KoalaEmbeddings, KoalaLLM

SERVER = "http://10.1.2.3:9015/v1"


@pytest.fixture(autouse=True)
def no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KOALA_BASE_URL", raising=False)
    monkeypatch.delenv("KOALA_API_KEY", raising=False)


def test_base_url_is_required_and_normalised() -> None:
    with pytest.raises(errors.ConfigurationError, match="KOALA_BASE_URL"):
        ChatKoala()
    assert ChatKoala(base_url="http://10.1.2.3:9015").base_url == SERVER
    assert ChatKoala(koala_base_url=SERVER + "/").base_url == SERVER
    with pytest.raises(errors.ConfigurationError, match="http"):
        KoalaEmbeddings(base_url="10.1.2.3:9015")


@pytest.mark.parametrize(
    "settings",
    [{"temperature": 2.5}, {"top_p": 1.2}, {"top_k": 0}, {"max_tokens": 0}],
)
def test_bad_values_fail_at_construction(settings: dict) -> None:
    with pytest.raises(PydanticValidationError, match=next(iter(settings))):
        ChatKoala(base_url=SERVER, **settings)


def test_bind_tools_raises_a_clear_error() -> None:
    with pytest.raises(errors.ValidationError, match="no tool calling") as caught:
        ChatKoala(base_url=SERVER).bind_tools([])
    assert caught.value.parameter == "tools" and isinstance(caught.value, ValueError)


def test_images_to_a_text_model_are_refused_offline() -> None:
    image = {"type": "image_url", "image_url": {"url": "http://x/a.jpg"}}
    with pytest.raises(errors.ValidationError, match="takes no images"):
        ChatKoala(base_url=SERVER, max_retries=0).invoke([HumanMessage(content=[image])])


def test_langsmith_params_and_identity() -> None:
    chat = ChatKoala(base_url=SERVER, model="koala-mm", temperature=0, max_tokens=9, stop=["x"])
    params = chat._get_ls_params()
    assert params["ls_provider"] == "koala" and params["ls_model_name"] == "koala-mm"
    assert (params["ls_temperature"], params["ls_max_tokens"], params["ls_stop"]) == (0, 9, ["x"])
    assert (
        chat._llm_type == "koala-chat"
        and KoalaLLM(base_url=SERVER)._llm_type == "koala-completions"
    )


def test_llm_defaults() -> None:
    llm = KoalaLLM(base_url=SERVER)
    assert (llm.model, llm.max_tokens) == ("Baichuan2-13B-Chat", 512)
    assert llm._get_ls_params()["ls_provider"] == "koala"


def test_embeddings_settings() -> None:
    embeddings = KoalaEmbeddings(base_url=SERVER, chunk_size=4, normalize=True)
    assert (embeddings.model, embeddings.batch_size, embeddings.normalize) == (
        "text2vec-large-chinese",
        4,
        True,
    )
    assert embeddings.embed_documents([]) == []
    with pytest.raises(PydanticValidationError):
        KoalaEmbeddings(base_url=SERVER, batch_size=0)


def test_key_from_env_is_secret_and_objects_pickle(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOALA_BASE_URL", SERVER)
    monkeypatch.setenv("KOALA_API_KEY", "env-secret-key")
    chat = ChatKoala(image_input=True, model="my-vl")
    assert "env-secret-key" not in repr(chat)
    assert chat.client._headers["Authorization"] == "Bearer env-secret-key"
    assert chat.client.protocol.takes_images("my-vl")
    copy = pickle.loads(pickle.dumps(chat))
    assert copy._client is None and copy.koala_api_key.get_secret_value() == "env-secret-key"
    assert copy.lc_secrets == {"koala_api_key": "KOALA_API_KEY"}

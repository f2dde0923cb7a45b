"""Errors that name the fix: a 404 with no vendor body names the base URL's missing path, and a
refused connection names the env var that set the URL."""

from __future__ import annotations

import pytest

from cnllm import errors, hints
from cnllm.dashscope import protocol as dashscope
from cnllm.koala import protocol as koala
from cnllm.transport import HttpResponse


def _response(status: int, body: bytes) -> HttpResponse:
    return HttpResponse(status, {"content-type": "application/json"}, body)


def test_dashscope_404_without_a_vendor_body_names_api_v1() -> None:
    with pytest.raises(errors.NotFoundError, match="must end in /api/v1") as caught:
        dashscope.check_response(_response(404, b'{"error": "no such path"}'))
    assert "DASHSCOPE_HTTP_BASE_URL" in str(caught.value)


def test_dashscope_404_with_its_own_code_keeps_the_vendor_error() -> None:
    body = b'{"code": "InvalidModel", "message": "Model not exist.", "request_id": "r1"}'
    with pytest.raises(errors.NotFoundError) as caught:
        dashscope.check_response(_response(404, body))
    assert caught.value.code == "InvalidModel"


@pytest.mark.parametrize("body", [b'{"detail": "Not Found"}', b"<html>404</html>"])
def test_koala_404_from_a_wrong_path_names_v1(body: bytes) -> None:
    with pytest.raises(errors.NotFoundError, match="must end in /v1") as caught:
        koala.check_response(_response(404, body))
    assert "KOALA_BASE_URL" in str(caught.value)


def test_koala_404_with_an_openai_error_keeps_it() -> None:
    body = b'{"error": {"message": "no model", "type": "invalid_request_error", "code": "x"}}'
    with pytest.raises(errors.CnLLMError) as caught:
        koala.check_response(_response(404, body))
    assert "must end in" not in str(caught.value)


def test_connection_hint_names_the_env_var(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOALA_BASE_URL", "http://127.0.0.1:9/v1")
    assert "KOALA_BASE_URL=http://127.0.0.1:9/v1" in hints.connection_hint("koala")
    monkeypatch.delenv("QIANFAN_BASE_URL", raising=False)
    monkeypatch.delenv("QIANFAN_V2_BASE_URL", raising=False)
    assert "no QIANFAN_BASE_URL or QIANFAN_V2_BASE_URL is set" in hints.connection_hint("qianfan")
    assert hints.connection_hint("somebody-else") == ""


def test_the_qianfan_default_model_is_visible() -> None:
    from cnllm.qianfan import models
    from langchain_cnllm import ChatQianfan, QianfanLLM
    from llamaindex_cnllm import Qianfan

    keys = {"qianfan_ak": "ak", "qianfan_sk": "sk"}
    assert ChatQianfan(**keys).model == models.DEFAULT_CHAT_MODEL == "ERNIE-Lite-8K"
    assert QianfanLLM(**keys).model == Qianfan(**keys).model == models.DEFAULT_CHAT_MODEL
    # a service you deployed is not the default model and gets none of its capabilities
    deployed = ChatQianfan(endpoint="ngxxxol8_test1", **keys)
    assert deployed.model is None and deployed._info().user_deployed
    assert not deployed._info().ernie

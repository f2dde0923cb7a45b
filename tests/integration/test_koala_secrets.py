"""The Koala API key never reaches a log line, a repr or an exception message."""

from __future__ import annotations

import logging

import pytest

from cnllm.emulator import Emulator, Fault
from langchain_cnllm import ChatKoala, KoalaEmbeddings, KoalaLLM

KEY = "sk-koala-SECRET-0123456789"


async def test_the_key_stays_out_of_logs_reprs_and_errors(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with Emulator(koala_api_key=KEY) as emu:
        url = f"{emu.base_url}/v1"
        chat = ChatKoala(base_url=url, api_key=KEY, max_retries=0)
        chat.invoke("你好")
        list(chat.stream("你好"))
        await chat.ainvoke("你好")
        KoalaEmbeddings(base_url=url, api_key=KEY).embed_query("x")
        llm = KoalaLLM(base_url=url, api_key=KEY, max_retries=0)
        emu.inject(Fault("error_code", code=40302, message=f"echo: Bearer {KEY} api_key={KEY}"))
        with pytest.raises(Exception) as echoed:
            llm.invoke("x")
        with pytest.raises(Exception) as rejected:
            ChatKoala(base_url=url, api_key="wrong-" + KEY, max_retries=0).invoke("x")
        assert emu.stats.last_request.headers["Authorization"] == f"Bearer wrong-{KEY}"
    for text in (caplog.text, repr(chat), str(chat), repr(llm), str(chat.model_dump())):
        assert KEY not in text
    for error in (echoed.value, rejected.value):
        assert KEY not in str(error) and KEY not in repr(error)

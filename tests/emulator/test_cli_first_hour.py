"""The ``cnllm`` command as a first-time user meets it: usage, one-line errors naming the fix,
the emulator's paste-ready lines, and the importable pytest fixture."""

from __future__ import annotations

import argparse
import builtins
import sys
from pathlib import Path
from typing import Any

import pytest

from cnllm import cli
from cnllm.emulator import Emulator
from cnllm.emulator.__main__ import banner, build_parser
from cnllm.emulator.env import environment


def test_no_arguments_prints_usage_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: cnllm {demo,emulator}")


def test_help_is_plain_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--help"]) == 0
    with pytest.raises(SystemExit):
        cli.main(["demo", "--help"])
    out = capsys.readouterr().out
    assert "usage: cnllm demo" in out and "``" not in out


def test_emulator_help_shows_the_defaults() -> None:
    text = build_parser().format_help()
    assert "(default: 8765)" in text and "(default: 127.0.0.1)" in text and "``" not in text


def test_unknown_model_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["demo", "--model", "ERNIE-9000", "--question", "你好"]) == 1
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err
    # The demo calls v2, where an unknown id passes through (a deployed service's API name)
    # and the server's invalid_model answer is the one line.
    assert err.startswith("cnllm demo: NotFoundError: ") and "code=invalid_model" in err


def test_a_down_server_is_one_line_naming_the_env_var(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with Emulator() as emulator:  # a port that was just free: nothing listens there any more
        down = emulator.base_url
    monkeypatch.setenv("QIANFAN_AK", "ak")
    monkeypatch.setenv("QIANFAN_SK", "sk")
    monkeypatch.setenv("QIANFAN_BASE_URL", down)
    from cnllm.qianfan.auth import clear_token_cache

    clear_token_cache()
    assert cli.main(["demo", "--question", "你好"]) == 1
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and err.startswith("cnllm demo: ConnectionError")
    assert f"QIANFAN_BASE_URL={down}" in err


def test_a_missing_extra_names_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real_import = builtins.__import__

    def no_llama_index(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("llama_index"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_llama_index)
    for module in [m for m in sys.modules if m.startswith(("llama_index", "cnllm.demo.llama"))]:
        monkeypatch.delitem(sys.modules, module)
    assert cli.main(["demo", "--framework", "llamaindex", "--question", "你好"]) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err == (
        "cnllm demo needs the llamaindex extra: pip install 'langchain-cnllm[demo,llamaindex]'"
    )


@pytest.mark.parametrize(
    ("package", "name", "framework", "extra"),
    [
        ("langchain_cnllm", "ChatQianfan", "langchain_core", "langchain"),
        ("llamaindex_cnllm", "Qianfan", "llama_index", "llamaindex"),
    ],
)
def test_the_adapters_name_their_extra(
    monkeypatch: pytest.MonkeyPatch, package: str, name: str, framework: str, extra: str
) -> None:
    for loaded in [m for m in sys.modules if m.split(".")[0] in (package, framework)]:
        monkeypatch.delitem(sys.modules, loaded)
    monkeypatch.setitem(sys.modules, framework, None)  # as if not installed
    adapter = __import__(package)
    with pytest.raises(ModuleNotFoundError) as caught:
        getattr(adapter, name)
    assert str(caught.value).endswith(f"pip install 'langchain-cnllm[{extra}]'")


def test_the_banner_is_the_url_then_lines_to_paste() -> None:
    args = build_parser().parse_args([])
    lines = banner("http://127.0.0.1:8765", args).splitlines()
    assert lines[0] == "http://127.0.0.1:8765"
    exports = [line for line in lines if line.startswith("export ")]
    assert "export DASHSCOPE_HTTP_BASE_URL=http://127.0.0.1:8765/api/v1" in exports
    assert "export KOALA_BASE_URL=http://127.0.0.1:8765/v1" in exports
    assert all(line.startswith(("#", "export ", "unset ")) for line in lines[1:])


def test_strict_keys_are_the_ones_printed() -> None:
    args = build_parser().parse_args(["--strict", "--qianfan-ak", "AK", "--qianfan-sk", "SK"])
    assert isinstance(args, argparse.Namespace)
    text = banner("http://127.0.0.1:1", args)
    assert "export QIANFAN_AK=AK" in text and "export QIANFAN_SK=SK" in text


def test_the_printed_environment_reaches_every_vendor(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pasting the lines is enough: every vendor's class answers with no other argument."""
    for key, value in environment(emulator.base_url).items():
        monkeypatch.setenv(key, value)
    for gone in ("QIANFAN_ACCESS_KEY", "QIANFAN_SECRET_KEY", "QIANFAN_ACCESS_TOKEN"):
        monkeypatch.delenv(gone, raising=False)
    from langchain_cnllm import ChatClueAI, ChatDashScope, ChatKoala, ChatQianfan

    for chat in (
        ChatQianfan(),
        ChatDashScope(),
        ChatKoala(model="Baichuan2-13B-Chat"),
        ChatClueAI(),
    ):
        assert chat.invoke("你好").content


pytest_plugins = ["pytester"]


def test_the_importable_fixture(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).resolve().parents[2]))
    pytester.makeconftest('pytest_plugins = ["cnllm.testing"]')
    pytester.makepyfile(
        """
        from langchain_cnllm import ChatQianfan, DashScopeEmbeddings

        def test_offline(cnllm_emulator):
            assert ChatQianfan().invoke("你好").content
            assert len(DashScopeEmbeddings().embed_query("你好")) > 0
            assert cnllm_emulator.base_url.startswith("http://127.0.0.1:")
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("module", "expected"),
    [
        ("numpy", "cnllm demo needs the demo extra: pip install 'langchain-cnllm[demo]'"),
        ("langchain_core", "cnllm demo needs the demo extra: pip install 'langchain-cnllm[demo]'"),
        (
            "llama_index.core",
            "cnllm demo needs the llamaindex extra: pip install 'langchain-cnllm[demo,llamaindex]'",
        ),
    ],
)
def test_the_demo_names_the_extra_of_each_missing_module(module: str, expected: str) -> None:
    missing = ModuleNotFoundError(f"No module named {module!r}", name=module)
    assert cli._extra_hint(missing, "cnllm demo") == expected

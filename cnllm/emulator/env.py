"""The environment variables that point every vendor's classes at a running emulator.

``cnllm emulator`` prints them as lines to paste into a shell; ``cnllm.testing`` sets them in
a test. Each class reads its vendor's usual variables, so code written for the live services
runs unchanged. Credentials are dummies unless the emulator checks them (``--strict``).
"""

from __future__ import annotations

from collections.abc import Mapping

# Dummy credentials: the emulator accepts any key unless it runs in strict mode.
DUMMY = {
    "qianfan_ak": "emulator-ak",
    "qianfan_sk": "emulator-sk",
    "qianfan_api_key": "bce-v3/emulator-key/emulator-secret",
    "dashscope_api_key": "emulator-dashscope-key",
    "clueai_api_key": "emulator-clueai-key",
}
# Env vars that would override the above and send the call elsewhere (or sign it otherwise).
CLEARED = (
    "QIANFAN_ACCESS_KEY",
    "QIANFAN_SECRET_KEY",
    "QIANFAN_ACCESS_TOKEN",
    # DASHSCOPE_BASE_URL wins over DASHSCOPE_HTTP_BASE_URL; region, workspace and protocol
    # would pick another host or protocol.
    "DASHSCOPE_BASE_URL",
    "DASHSCOPE_REGION",
    "DASHSCOPE_API_REGION",
    "DASHSCOPE_WORKSPACE",
    "DASHSCOPE_WORKSPACE_ID",
    "DASHSCOPE_PROTOCOL",
)


def environment(base_url: str, credentials: Mapping[str, str] | None = None) -> dict[str, str]:
    """``{env var: value}`` for every vendor, in the order they are printed."""
    keys = {**DUMMY, **{name: value for name, value in (credentials or {}).items() if value}}
    env = {
        # Qianfan v2 first: with its key set, every Qianfan class calls v2 (the OAuth pair
        # below is used only where v1 is asked for: endpoint=, api_version="v1").
        "QIANFAN_V2_BASE_URL": f"{base_url}/v2",
        "QIANFAN_API_KEY": keys["qianfan_api_key"],
        "QIANFAN_IAM_BASE_URL": base_url,  # where IAM keys, if you use them, mint v2 tokens
        "QIANFAN_BASE_URL": base_url,
        "QIANFAN_AK": keys["qianfan_ak"],
        "QIANFAN_SK": keys["qianfan_sk"],
        "DASHSCOPE_HTTP_BASE_URL": f"{base_url}/api/v1",
        "DASHSCOPE_API_KEY": keys["dashscope_api_key"],
        "KOALA_BASE_URL": f"{base_url}/v1",
        "CLUEAI_BASE_URL": f"{base_url}/clueai",
        "CLUEAI_MODELFUN_URL": f"{base_url}/modelfun/api",
        "CLUEAI_API_KEY": keys["clueai_api_key"],
    }
    koala_key = (credentials or {}).get("koala_api_key")
    if koala_key:  # Koala sends no key unless the server asks for one
        env["KOALA_API_KEY"] = koala_key.split(",")[0]
    return env


# A comment printed before the first line of each group, so a reader sees which lines matter.
HEADINGS = {
    "QIANFAN_V2_BASE_URL": "# Baidu Qianfan v2 (the default API: these win over the v1 lines)",
    "QIANFAN_BASE_URL": (
        "# Qianfan v1 (switched off by Baidu on 2026-08-31): only for the seed examples, "
        'endpoint= and api_version="v1"'
    ),
    "DASHSCOPE_HTTP_BASE_URL": "# Alibaba DashScope, Koala, ClueAI",
}


def export_lines(base_url: str, credentials: Mapping[str, str] | None = None) -> list[str]:
    """``export NAME=value`` lines for a POSIX shell, with a comment heading each group."""
    lines = [f"unset {' '.join(CLEARED)}"]
    for name, value in environment(base_url, credentials).items():
        if name in HEADINGS:
            lines.append(HEADINGS[name])
        lines.append(f"export {name}={value}")
    return lines

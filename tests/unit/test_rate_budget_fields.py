"""The rate budget as a setting of every public class (issue 15 §2): declared once
(``cnllm.settings.RateBudget``), validated before anything is sent, and one shared limiter per
vendor, host and credentials in the process."""

from __future__ import annotations

import math
import pickle
from collections.abc import Iterator
from typing import Any

import pytest

import langchain_cnllm
import llamaindex_cnllm
from cnllm import errors
from cnllm.ratelimit import RateLimiter, clear_shared_limiters
from cnllm.settings import RateBudget

HOST = "http://127.0.0.1:9"
LIMITS = ("requests_per_second", "requests_per_minute", "tokens_per_minute")


def _settings(name: str, key: str) -> dict[str, Any]:
    """The least each class needs to build its client (no request is sent)."""
    if "Koala" in name:
        return {"base_url": f"{HOST}/v1", "api_key": key}
    if "ClueAI" in name:
        extra: dict[str, Any] = {}
        if name.endswith("ClueAIClassifier"):
            extra["labels"] = ["消极", "积极"]
        if name.endswith("ClueAIRetriever"):
            extra["engine_key"] = "engine-1"
        return {"api_key": key, "base_url": f"{HOST}/c", "modelfun_url": f"{HOST}/m", **extra}
    if "Rerank" in name:
        return {"api_key": key, "base_url": f"{HOST}/v1"}
    if "DashScope" in name:
        return {"api_key": key, "base_url": f"{HOST}/api/v1"}
    return {"api_key": key, "secret_key": "sk-secret", "base_url": HOST}


def _public_classes() -> Iterator[tuple[str, type[Any]]]:
    for package in (langchain_cnllm, llamaindex_cnllm):
        for name in package.__all__:
            value = getattr(package, name)
            if isinstance(value, type):
                yield f"{package.__name__}.{name}", value


CLASSES = dict(_public_classes())


def build(name: str, key: str = "key-1", **limits: Any) -> Any:
    return CLASSES[name](**_settings(name, key), **limits)


def limiter_of(obj: Any) -> RateLimiter:
    target = getattr(obj, "engine", obj)  # LlamaIndex's ClueAIRetriever holds an engine
    client = getattr(target, "rerank_client", None) or target.client
    limiter = client.transport.limiter
    assert isinstance(limiter, RateLimiter)
    return limiter


@pytest.fixture(autouse=True)
def _fresh_budgets() -> Iterator[None]:
    clear_shared_limiters()
    yield
    clear_shared_limiters()


def test_every_public_class_is_covered() -> None:
    assert len(CLASSES) >= 25  # 17 LangChain + 9 LlamaIndex when this was written


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_every_class_takes_the_limits_declared_once(name: str) -> None:
    cls = CLASSES[name]
    if name == "llamaindex_cnllm.ClueAIRetriever":  # its settings go to a ClueAIEngine
        cls = type(build(name).engine)
    assert issubclass(cls, RateBudget)  # the one declaration
    for limit in LIMITS:
        field = cls.model_fields[limit]
        assert field.annotation == RateBudget.model_fields[limit].annotation
        assert field.default is None


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_the_limits_reach_the_shared_limiter(name: str) -> None:
    paced = build(name, requests_per_second=5, tokens_per_minute=60_000)
    limiter = limiter_of(paced)
    assert limiter.rate == 5.0 and limiter._token_rate == 1000.0
    # Same key: the same budget, whatever the class; no limits given keeps the ones set.
    assert limiter_of(build(name)) is limiter and limiter.rate == 5.0
    # Another key, another budget (unpaced: no limit set, it only adapts).
    other = limiter_of(build(name, key="key-2"))
    assert other is not limiter and other.rate is None


@pytest.mark.parametrize("name", sorted(CLASSES))
@pytest.mark.parametrize("bad", [0, -1, -0.5, math.nan, math.inf, True, "5"])
def test_bad_limits_are_refused_at_construction_by_name(name: str, bad: object) -> None:
    for limit in LIMITS:
        with pytest.raises(errors.ConfigurationError, match=limit):
            build(name, **{limit: bad})


def test_tokens_per_minute_is_a_whole_number() -> None:
    with pytest.raises(ValueError, match="tokens_per_minute"):
        build("langchain_cnllm.ChatQianfan", tokens_per_minute=1.5)
    assert build("langchain_cnllm.ChatQianfan", tokens_per_minute=2000.0).tokens_per_minute == 2000


def test_one_budget_per_key_across_vendors_classes_and_frameworks() -> None:
    chat = build("langchain_cnllm.ChatDashScope", requests_per_minute=120)
    embeddings = build("llamaindex_cnllm.DashScopeEmbedding")
    rerank = build("langchain_cnllm.DashScopeRerank")
    assert limiter_of(chat) is limiter_of(embeddings) is limiter_of(rerank)
    assert limiter_of(chat).rate == 2.0
    # The same key at another vendor, or at another host, is another budget.
    koala = build("langchain_cnllm.ChatKoala")
    assert limiter_of(koala) is not limiter_of(chat)
    elsewhere = CLASSES["langchain_cnllm.ChatDashScope"](
        api_key="key-1", base_url="http://10.0.0.1:8080/api/v1"
    )
    assert limiter_of(elsewhere) is not limiter_of(chat)


def test_qianfan_credentials_other_than_the_api_key_make_another_budget() -> None:
    oauth = build("langchain_cnllm.ChatQianfan")
    other_secret = CLASSES["langchain_cnllm.ChatQianfan"](
        api_key="key-1", secret_key="another", base_url=HOST
    )
    assert limiter_of(oauth) is not limiter_of(other_secret)


def test_the_key_is_never_kept_by_the_budget() -> None:
    limiter = limiter_of(build("langchain_cnllm.KoalaEmbeddings", key="sk-very-secret"))
    assert "sk-very-secret" not in repr(limiter) and "sk-very-secret" not in str(limiter.ident)


def test_the_limits_survive_pickling_and_the_copy_shares_the_budget() -> None:
    original = build("llamaindex_cnllm.KoalaEmbedding", requests_per_minute=600)
    limiter = limiter_of(original)
    copy = pickle.loads(pickle.dumps(original))
    assert copy.requests_per_minute == 600
    assert limiter_of(copy) is limiter  # same process: the same budget


def test_qianfan_v2_and_dashscope_compatible_mode_share_the_budget_too() -> None:
    v2 = dict(api_key="bce-v3/ALTAK-abc/def", v2_base_url=f"{HOST}/v2")
    chat = langchain_cnllm.ChatQianfan(**v2, requests_per_second=4)
    limiter = chat.v2_client.transport.limiter
    assert isinstance(limiter, RateLimiter) and limiter.rate == 4.0
    assert langchain_cnllm.QianfanEmbeddings(**v2).v2_client.transport.limiter is limiter
    compat = dict(api_key="sk-1", base_url=f"{HOST}/compatible-mode/v1")
    paced = langchain_cnllm.ChatDashScope(**compat, requests_per_minute=60)
    shared = paced.client.transport.limiter
    assert isinstance(shared, RateLimiter) and shared.rate == 1.0
    assert llamaindex_cnllm.DashScope(**compat).client.transport.limiter is shared

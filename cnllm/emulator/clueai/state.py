"""What the emulated service remembers between requests: engines, fine-tunes and usage."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field

from ..text import similarity
from .search import Index


@dataclass
class Engine:
    index: Index
    field: str
    ready_at: float

    @property
    def ready(self) -> bool:
        return time.monotonic() >= self.ready_at


@dataclass
class FineTune:
    base: str  # "chatyuan" or "" (the path prefix it was uploaded under)
    pairs: list[tuple[str, str]]
    trained_at: float
    started_at: float | None = None

    @property
    def trained(self) -> bool:
        return time.monotonic() >= self.trained_at

    def serving(self, keepalive: float) -> bool:
        """Started, and within the keep-alive window (the seed: about ten minutes)."""
        return self.started_at is not None and time.monotonic() - self.started_at < keepalive

    def predict(self, prompt: str) -> str | None:
        """The target of the most similar training input, if any is similar at all."""
        scored = [(similarity(prompt, source), -i) for i, (source, _) in enumerate(self.pairs)]
        best = max(scored, default=(0.0, 0))
        return self.pairs[-best[1]][1] if best[0] >= 0.2 else None


@dataclass
class State:
    engines: dict[str, Engine] = field(default_factory=dict)
    finetunes: dict[str, FineTune] = field(default_factory=dict)
    usage: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_engine(self, engine: Engine) -> str:
        key = "se-" + uuid.uuid4().hex[:20]
        with self.lock:
            self.engines[key] = engine
        return key

    def add_finetune(self, job: FineTune) -> str:
        key = "ft-" + uuid.uuid4().hex[:20]
        with self.lock:
            self.finetunes[key] = job
        return key

    def count(self, api_key: str | None) -> None:
        with self.lock:
            name = api_key or ""
            self.usage[name] = self.usage.get(name, 0) + 1

    def clear(self) -> None:
        with self.lock:
            self.engines.clear()
            self.finetunes.clear()
            self.usage.clear()

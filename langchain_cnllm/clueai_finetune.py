"""ClueAIFineTuner: upload training data, wait for training, start the model, use it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from os import PathLike
from typing import Any

from pydantic import Field, field_validator

from cnllm import errors
from cnllm.clueai import corpus, protocol
from langchain_cnllm._clueai import ClueAISettings
from langchain_cnllm.chat_models.clueai import ChatClueAI
from langchain_cnllm.errors import langchain_errors
from langchain_cnllm.llms.clueai import ClueAILLM

TrainingData = str | PathLike[str] | Sequence[tuple[str, str] | Mapping[str, str]]
TRAINING_FILENAME = "finetune.json"


class ClueAIFineTuner(ClueAISettings):
    """Fine-tuning on ClueAI (reference §4.7), PromptCLUE by default or ChatYuan.

    Example:
        .. code-block:: python

            from langchain_cnllm import ClueAIFineTuner

            tuner = ClueAIFineTuner()                       # base="ChatYuan" for ChatYuan
            key = tuner.fine_tune("finetune_train_examples.json")  # upload, train, start
            llm = tuner.llm(key)                            # a ClueAILLM on the new model
            llm.invoke("以下两句话的意思相同的吗？…\\n答案：")

    Training data is JSON Lines with ``input_field`` and ``target_field`` (default "input"
    and "target", as the README; the SDK's own default target is "output"), given as a file
    path or as ``(input, target)`` pairs. The service samples sets above 10,000 down. A
    started model serves for about ten minutes (seed); ``start()`` again after that.
    """

    base: str | None = Field(default=None, alias="finetune_base")
    """``"ChatYuan"`` to fine-tune ChatYuan (its own endpoints); None or "ClueAI" otherwise."""
    input_field: str = "input"
    target_field: str = "target"
    train_timeout: float = 3600.0
    """Seconds ``wait_until_trained`` waits before raising TimeoutError."""
    poll_interval: float = 10.0

    @field_validator("base")
    @classmethod
    def _base(cls, value: str | None) -> str | None:
        return protocol.finetune_base(value)

    def _training_file(self, data: TrainingData) -> tuple[bytes, str]:
        with langchain_errors():
            if isinstance(data, (str, PathLike)):
                raw, filename = corpus.read(data)
                checked = corpus.check_finetune(raw, self.input_field, self.target_field, filename)
                return checked, filename
            content = corpus.finetune_jsonl(list(data), self.input_field, self.target_field)
        return content, TRAINING_FILENAME

    # -- steps ----------------------------------------------------------------------------

    def upload(self, data: TrainingData, *, sync: bool = True) -> str:
        """Upload training data; returns the engine_key of the model being trained."""
        content, filename = self._training_file(data)
        with langchain_errors():
            return self.client.upload_finetune(
                content,
                filename,
                input_field=self.input_field,
                target_field=self.target_field,
                base=self.base,
                sync=sync,
            )

    async def aupload(self, data: TrainingData, *, sync: bool = True) -> str:
        content, filename = self._training_file(data)
        with langchain_errors():
            return await self.client.aupload_finetune(
                content,
                filename,
                input_field=self.input_field,
                target_field=self.target_field,
                base=self.base,
                sync=sync,
            )

    def is_trained(self, engine_key: str) -> bool:
        with langchain_errors():
            return self.client.finetune_finished(engine_key, base=self.base)

    async def ais_trained(self, engine_key: str) -> bool:
        with langchain_errors():
            return await self.client.afinetune_finished(engine_key, base=self.base)

    def wait_until_trained(self, engine_key: str, timeout: float | None = None) -> None:
        """Poll ``finetune/finished/`` every ``poll_interval`` s; TimeoutError after timeout."""
        with langchain_errors():
            self.client.wait_until_trained(
                engine_key,
                base=self.base,
                timeout=self.train_timeout if timeout is None else timeout,
                interval=self.poll_interval,
            )

    async def await_trained(self, engine_key: str, timeout: float | None = None) -> None:
        with langchain_errors():
            await self.client.await_trained(
                engine_key,
                base=self.base,
                timeout=self.train_timeout if timeout is None else timeout,
                interval=self.poll_interval,
            )

    def start(self, engine_key: str) -> None:
        """Start serving the trained model; raises if the service declines."""
        with langchain_errors():
            _started(self.client.start_finetuned(engine_key, base=self.base), engine_key)

    async def astart(self, engine_key: str) -> None:
        with langchain_errors():
            _started(await self.client.astart_finetuned(engine_key, base=self.base), engine_key)

    # -- all at once ----------------------------------------------------------------------

    def fine_tune(self, data: TrainingData, *, timeout: float | None = None) -> str:
        """Upload, wait until trained, start; returns the engine_key to generate with."""
        engine_key = self.upload(data)
        self.wait_until_trained(engine_key, timeout)
        self.start(engine_key)
        return engine_key

    async def afine_tune(self, data: TrainingData, *, timeout: float | None = None) -> str:
        engine_key = await self.aupload(data)
        await self.await_trained(engine_key, timeout)
        await self.astart(engine_key)
        return engine_key

    # -- using the model ------------------------------------------------------------------

    def _settings(self) -> dict[str, Any]:
        return {
            "api_key": self.api_key,
            "base_url": self.base_url,
            "modelfun_url": self.modelfun_url,
            "timeout": self.timeout,
            "max_retries": self.max_retries,
            "finetune_base": self.base,
        }

    def llm(self, engine_key: str, **kwargs: Any) -> ClueAILLM:
        """A ClueAILLM that generates with the fine-tuned model."""
        return ClueAILLM(engine_key=engine_key, **{**self._settings(), **kwargs})

    def chat_model(self, engine_key: str, **kwargs: Any) -> ChatClueAI:
        """A ChatClueAI on the fine-tuned model (the 用户/小元 form suits ChatYuan bases)."""
        return ChatClueAI(engine_key=engine_key, **{**self._settings(), **kwargs})


def _started(started: bool, engine_key: str) -> None:
    if not started:
        raise errors.APIError(
            f"ClueAI did not start the fine-tuned model {engine_key} (is it trained yet?)",
            vendor=protocol.VENDOR,
        )

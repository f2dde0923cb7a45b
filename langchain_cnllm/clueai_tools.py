"""ClueAI classification as a Runnable, and text-to-image as a LangChain tool."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Union, overload

from langchain_core.callbacks import AsyncCallbackManagerForToolRun, CallbackManagerForToolRun
from langchain_core.runnables import RunnableConfig, RunnableSerializable
from langchain_core.tools import BaseTool
from pydantic import BaseModel, Field, model_validator
from typing_extensions import Self

from cnllm.clueai import models, protocol
from cnllm.clueai.protocol import Classification
from langchain_cnllm._clueai import ClueAISettings
from langchain_cnllm.errors import langchain_errors

ClassifierInput = Union[str, list[str]]  # noqa: UP007 - a runtime generic argument
ClassifierOutput = Union[dict[str, Any], list[dict[str, Any]]]  # noqa: UP007


def _as_dict(item: Classification) -> dict[str, Any]:
    return {
        "input": item.input,
        "prediction": item.prediction,
        "confidence": item.confidence,
        "confidences": dict(item.confidences),
    }


class ClueAIClassifier(ClueAISettings, RunnableSerializable[ClassifierInput, ClassifierOutput]):
    """Zero- or few-shot classification with ClueAI (``serving_api`` classify, §4.4).

    Example:
        .. code-block:: python

            from langchain_cnllm import ClueAIClassifier

            classify = ClueAIClassifier(
                labels=["消极", "积极"],
                task_name="情感分析",
                examples=[{"text": "基本都是欺骗", "label": "消极"}],
            )
            classify.invoke("世界和平")
            # {"input": "世界和平", "prediction": "积极", "confidence": 0.93,
            #  "confidences": {"积极": 0.93, "消极": 0.07}}
            classify.invoke(["世界充满了欺骗", "世界和平"])  # a list: one request, a list back
            classify.batch(["…", "…"])                      # one request per batch_size texts
    """

    labels: list[str]
    task_name: str = ""
    """The task prefix, e.g. 情感分析 or 产品分类 (always sent; "" by default)."""
    examples: list[dict[str, str]] = Field(default_factory=list)
    """Few-shot examples: ``{"text": …, "label": …}`` with labels from ``labels``."""
    model: str = Field(default="clueai-large", alias="model_name")
    batch_size: int = Field(default=32, ge=1)
    """Texts per request."""

    @model_validator(mode="after")
    def _check(self) -> Self:
        with langchain_errors():
            protocol.classify_request(
                "", None, self.model, ["-"], self.labels, examples=self.examples
            )
        return self

    @classmethod
    def is_lc_serializable(cls) -> bool:
        return False

    def _chunks(self, texts: Sequence[str]) -> list[Sequence[str]]:
        self._require_key(models.canonical(self.model))
        size = self.batch_size
        return [texts[start : start + size] for start in range(0, len(texts), size)]

    def _options(self) -> dict[str, Any]:
        return {
            "model": models.canonical(self.model),
            "examples": self.examples,
            "task_name": self.task_name,
        }

    def _classify(self, texts: Sequence[str]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        with langchain_errors():
            for chunk in self._chunks(texts):
                items = self.client.classify(chunk, self.labels, **self._options())
                found.extend(_as_dict(item) for item in items)
        return found

    async def _aclassify(self, texts: Sequence[str]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        with langchain_errors():
            for chunk in self._chunks(texts):
                items = await self.client.aclassify(chunk, self.labels, **self._options())
                found.extend(_as_dict(item) for item in items)
        return found

    def _one(self, input: ClassifierInput) -> ClassifierOutput:
        if isinstance(input, str):
            return self._classify([input])[0]
        return self._classify(list(input))

    async def _aone(self, input: ClassifierInput) -> ClassifierOutput:
        if isinstance(input, str):
            return (await self._aclassify([input]))[0]
        return await self._aclassify(list(input))

    @overload
    def invoke(
        self, input: str, config: RunnableConfig | None = None, **kwargs: Any
    ) -> dict[str, Any]: ...

    @overload
    def invoke(
        self, input: list[str], config: RunnableConfig | None = None, **kwargs: Any
    ) -> list[dict[str, Any]]: ...

    def invoke(
        self, input: ClassifierInput, config: RunnableConfig | None = None, **kwargs: Any
    ) -> ClassifierOutput:
        """A text gives one result; a list of texts gives a list (sent in one request)."""
        return self._call_with_config(self._one, input, config)

    @overload
    async def ainvoke(
        self, input: str, config: RunnableConfig | None = None, **kwargs: Any
    ) -> dict[str, Any]: ...

    @overload
    async def ainvoke(
        self, input: list[str], config: RunnableConfig | None = None, **kwargs: Any
    ) -> list[dict[str, Any]]: ...

    async def ainvoke(
        self, input: ClassifierInput, config: RunnableConfig | None = None, **kwargs: Any
    ) -> ClassifierOutput:
        return await self._acall_with_config(self._aone, input, config)

    def batch(
        self,
        inputs: list[ClassifierInput],
        config: RunnableConfig | list[RunnableConfig] | None = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any,
    ) -> list[ClassifierOutput]:
        """Texts are classified together, ``batch_size`` per request."""
        if not all(isinstance(item, str) for item in inputs):
            return super().batch(inputs, config, return_exceptions=return_exceptions, **kwargs)
        return self._batch_with_config(
            self._classify_texts, inputs, config, return_exceptions=return_exceptions
        )

    async def abatch(
        self,
        inputs: list[ClassifierInput],
        config: RunnableConfig | list[RunnableConfig] | None = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any,
    ) -> list[ClassifierOutput]:
        if not all(isinstance(item, str) for item in inputs):
            return await super().abatch(
                inputs, config, return_exceptions=return_exceptions, **kwargs
            )
        return await self._abatch_with_config(
            self._aclassify_texts, inputs, config, return_exceptions=return_exceptions
        )

    def _classify_texts(self, inputs: list[ClassifierInput]) -> list[Exception | ClassifierOutput]:
        return list(self._classify([str(item) for item in inputs]))

    async def _aclassify_texts(
        self, inputs: list[ClassifierInput]
    ) -> list[Exception | ClassifierOutput]:
        return list(await self._aclassify([str(item) for item in inputs]))


# -- text to image ------------------------------------------------------------------------------


class ClueAIText2ImageInput(BaseModel):
    prompt: str = Field(description="What to draw, e.g. 秋日的晚霞 (Chinese works best)")
    style: str | None = Field(
        default=None, description="An artist's style to paint in, e.g. 梵高 or 毕加索"
    )


def default_image_dir() -> str:
    return os.path.join(tempfile.gettempdir(), "clueai-images")


def save_image(content: bytes, kind: str, directory: str | os.PathLike[str]) -> Path:
    """Write the image under a new name, atomically (no half-written file is ever visible)."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"clueai-{uuid.uuid4().hex[:12]}.{kind}"
    partial = path.with_suffix(f".{kind}.part")
    partial.write_bytes(content)
    os.replace(partial, path)
    return path


class ClueAIText2ImageTool(ClueAISettings, BaseTool):
    """Draws a picture with ClueAI text2image (§4.8), saves it and returns the file's path.

    Example:
        .. code-block:: python

            from langchain_cnllm import ClueAIText2ImageTool

            tool = ClueAIText2ImageTool(output_dir="images")
            tool.invoke({"prompt": "秋日的晚霞", "style": "梵高"})  # 'images/clueai-….png'

    The answer's bytes are checked before anything is written: a PNG (or JPEG, GIF, WebP) is
    saved; anything else (a JSON error, an HTML page) raises a typed error instead.
    """

    name: str = "clueai_text2image"
    description: str = (
        "Draws a picture from a description (Chinese works best) and saves it as an image "
        "file. Input: prompt (what to draw) and optionally style (an artist, e.g. 梵高). "
        "Returns the path of the saved image."
    )
    args_schema: type[BaseModel] = ClueAIText2ImageInput
    output_dir: str = Field(default_factory=default_image_dir)
    """Where images are saved (default: a clueai-images folder in the temp directory)."""
    model: str | None = Field(default=None, alias="model_name")
    """Sent as the ``Model-name`` header when set."""

    def _run(
        self,
        prompt: str,
        style: str | None = None,
        run_manager: CallbackManagerForToolRun | None = None,
    ) -> str:
        with langchain_errors():
            content, kind = self.client.text2image(prompt, style=style, model=self.model)
        return str(save_image(content, kind, self.output_dir))

    async def _arun(
        self,
        prompt: str,
        style: str | None = None,
        run_manager: AsyncCallbackManagerForToolRun | None = None,
    ) -> str:
        with langchain_errors():
            content, kind = await self.client.atext2image(prompt, style=style, model=self.model)
        return str(save_image(content, kind, self.output_dir))


__all__ = [
    "ClueAIClassifier",
    "ClueAIText2ImageInput",
    "ClueAIText2ImageTool",
]

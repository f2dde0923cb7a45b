"""The JSON Lines files ClueAI uploads take (reference §5): search corpora and fine-tune data.

One UTF-8 JSON object per line. Files are checked before upload so that a missing field is
reported with its line number here rather than as an opaque answer from the service. A file
holding one JSON array is accepted and re-encoded as JSON Lines (the only documented format).
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable, Mapping, Sequence
from os import PathLike
from pathlib import Path
from typing import Any

from cnllm import errors
from cnllm.clueai.models import MAX_FINETUNE_SAMPLES

VENDOR = "clueai"


def _line(record: Mapping[str, Any]) -> bytes:
    return json.dumps(record, ensure_ascii=False).encode("utf-8")


def encode(records: Iterable[Mapping[str, Any]]) -> bytes:
    return b"\n".join(_line(record) for record in records) + b"\n"


def corpus_jsonl(texts: Sequence[str], field: str = "text") -> bytes:
    """A search corpus from texts: ``{"id": i, <field>: text}`` per line."""
    _check_field("field", field)
    if not texts:
        raise errors.ValidationError("texts", "need at least one text", vendor=VENDOR)
    for index, text in enumerate(texts):
        if not isinstance(text, str) or not text.strip():
            raise errors.ValidationError(
                f"texts[{index}]", "must be a non-empty string", vendor=VENDOR
            )
    return encode({"id": index, field: text} for index, text in enumerate(texts))


def finetune_jsonl(
    samples: Sequence[tuple[str, str] | Mapping[str, str]],
    input_field: str = "input",
    target_field: str = "target",
) -> bytes:
    """Training data from ``(input, target)`` pairs or dicts that hold both fields."""
    records = []
    for index, sample in enumerate(samples):
        if isinstance(sample, Mapping):
            record = dict(sample)
        else:
            pair = tuple(sample)
            if len(pair) != 2:
                raise errors.ValidationError(
                    f"samples[{index}]", "must be an (input, target) pair", vendor=VENDOR
                )
            record = {input_field: pair[0], target_field: pair[1]}
        records.append(record)
    return check_finetune(encode(records), input_field, target_field, "samples")


def records(content: bytes, source: str) -> list[dict[str, Any]]:
    """The objects of a JSON Lines (or JSON array) file; errors name the line."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise errors.ValidationError(source, f"is not UTF-8 ({exc})", vendor=VENDOR) from None
    if text.lstrip().startswith("["):
        return _array(text, source)
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError as exc:
            raise errors.ValidationError(
                f"{source} line {number}", f"is not JSON ({exc})", vendor=VENDOR
            ) from None
        if not isinstance(value, dict):
            raise errors.ValidationError(
                f"{source} line {number}", "must be a JSON object", vendor=VENDOR
            )
        found.append(value)
    if not found:
        raise errors.ValidationError(source, "holds no records", vendor=VENDOR)
    return found


def _array(text: str, source: str) -> list[dict[str, Any]]:
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise errors.ValidationError(source, f"is not JSON ({exc})", vendor=VENDOR) from None
    if not value or not all(isinstance(item, dict) for item in value):
        raise errors.ValidationError(
            source, "a JSON array file must hold JSON objects", vendor=VENDOR
        )
    return list(value)


def _check_field(name: str, field: str) -> None:
    if not isinstance(field, str) or not field:
        raise errors.ValidationError(name, "must be a non-empty field name", vendor=VENDOR)


def _require(found: list[dict[str, Any]], fields: Sequence[str], source: str) -> None:
    for number, record in enumerate(found, start=1):
        for field in fields:
            value = record.get(field)
            if not isinstance(value, str) or not value.strip():
                raise errors.ValidationError(
                    f"{source} record {number}",
                    f"has no non-empty string {field!r}; its keys: {sorted(record)}",
                    vendor=VENDOR,
                )


def check_corpus(content: bytes, field: str, source: str = "corpus") -> tuple[bytes, list[str]]:
    """(the bytes to upload, the indexed texts); JSON arrays come back as JSON Lines."""
    _check_field("field", field)
    found = records(content, source)
    _require(found, [field], source)
    upload = encode(found) if content.lstrip().startswith(b"[") else content
    return upload, [str(record[field]) for record in found]


def check_finetune(
    content: bytes, input_field: str, target_field: str, source: str = "training file"
) -> bytes:
    _check_field("input_field", input_field)
    _check_field("target_field", target_field)
    found = records(content, source)
    _require(found, [input_field, target_field], source)
    if len(found) > MAX_FINETUNE_SAMPLES:
        warnings.warn(
            f"{len(found)} training samples: ClueAI samples them down to "
            f"{MAX_FINETUNE_SAMPLES} (ask ClueAI for larger fine-tunes)",
            UserWarning,
            stacklevel=3,
        )
    return encode(found) if content.lstrip().startswith(b"[") else content


def read(path: str | PathLike[str]) -> tuple[bytes, str]:
    """A file's bytes and its basename (the multipart filename the SDK sends)."""
    file = Path(path)
    try:
        return file.read_bytes(), file.name
    except OSError as exc:
        raise errors.ValidationError("path", f"cannot read {file}: {exc}", vendor=VENDOR) from None

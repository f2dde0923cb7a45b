"""Read the Koala seed examples: verbatim text, or parsed JSON (elisions removed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
SEED = HERE.parents[2].parent / "shared" / "seeds" / "001_395183d5e11ab570.txt"
# The only edits: the document's "...." / "..." elisions (see README.md).
_ELISIONS = {
    "embeddings_response.json": ("                ....,\n", ""),
    "models_response.json": ("        },\n        ...\n", "        }\n"),
}


def text(name: str) -> str:
    return (HERE / name).read_text(encoding="utf-8")


def valid_text(name: str) -> str:
    """The example as valid JSON text."""
    raw = text(name)
    old, new = _ELISIONS.get(name, ("", ""))
    return raw.replace(old, new) if old else raw


def body(name: str) -> Any:
    return json.loads(valid_text(name))

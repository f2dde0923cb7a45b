"""LlamaIndex tests: skipped as a whole only where the llamaindex extra is not installed."""

from __future__ import annotations

import pytest

pytest.importorskip("llama_index.core", reason="the llamaindex extra is not installed")

from llamaindex_cnllm.offline import use_bundled_tokenizer_data

use_bundled_tokenizer_data()

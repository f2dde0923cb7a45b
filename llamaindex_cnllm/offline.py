"""Point LlamaIndex's tokenizer caches at the copies bundled in llama-index-core.

A worker process started by ``IngestionPipeline.run(num_workers=N)`` (spawn) loads the text
splitter's tokenizer again; on a machine without internet it would try to download it and
the pool would wait forever. Call this before starting workers.
"""

from __future__ import annotations

import os
from pathlib import Path


def use_bundled_tokenizer_data() -> None:
    import llama_index.core

    static = Path(llama_index.core.__file__).parent / "_static"
    os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(static / "tiktoken_cache"))
    os.environ.setdefault("NLTK_DATA", str(static / "nltk_cache"))

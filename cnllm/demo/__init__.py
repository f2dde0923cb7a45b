"""Bundled data for the ``cnllm demo`` RAG example (``corpus.jsonl``)."""

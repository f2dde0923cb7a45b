"""cnllm: the framework-free core of langchain-cnllm (vendor protocols, transport, errors)."""

__version__ = "0.1.0"

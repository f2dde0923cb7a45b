"""The OpenAI-compatible protocol, for any server that speaks it (vLLM, llama.cpp's server,
FastChat, Qianfan v2, DashScope compatible mode); vendors with quirks build on it."""

from cnllm.openai_compat.client import OpenAICompatClient
from cnllm.openai_compat.protocol import ModelCard, OpenAIProtocol, StreamParser

__all__ = ["ModelCard", "OpenAICompatClient", "OpenAIProtocol", "StreamParser"]

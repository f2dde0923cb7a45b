"""LangChain classes for Chinese LLM vendors, as thin adapters over ``cnllm``."""

from langchain_cnllm.chat_models import ChatQianfan
from langchain_cnllm.embeddings import QianfanEmbeddings
from langchain_cnllm.llms import QianfanLLM

__all__ = ["ChatQianfan", "QianfanEmbeddings", "QianfanLLM"]

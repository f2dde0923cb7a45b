"""The demo's RAG with LlamaIndex: a retriever and an LLM in a query engine, the same
instructions as the LangChain chain."""

from __future__ import annotations

from typing import Any

from llama_index.core import PromptTemplate
from llama_index.core.query_engine import RetrieverQueryEngine
from llama_index.core.response_synthesizers import ResponseMode

from llamaindex_cnllm.offline import use_bundled_tokenizer_data

QA_TEMPLATE = PromptTemplate(
    "你是一个严谨的助手，只根据给出的资料回答，资料里没有的就说不知道。\n"
    "资料：\n{context_str}\n\n问题：{query_str}"
)


def build_query_engine(
    retriever: Any, llm: Any, node_postprocessors: list[Any] | None = None
) -> RetrieverQueryEngine:
    """``node_postprocessors``: e.g. a reranker (``cnllm demo --rerank``)."""
    use_bundled_tokenizer_data()  # no download of tokenizer data, even offline
    return RetrieverQueryEngine.from_args(
        retriever,
        llm=llm,
        text_qa_template=QA_TEMPLATE,
        response_mode=ResponseMode.COMPACT,
        node_postprocessors=node_postprocessors,
    )

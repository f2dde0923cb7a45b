from langchain_cnllm.embeddings.qianfan import QianfanEmbeddings

__all__ = ["QianfanEmbeddings"]

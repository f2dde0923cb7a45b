from langchain_cnllm.llms.qianfan import QianfanLLM

__all__ = ["QianfanLLM"]

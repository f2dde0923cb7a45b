from langchain_cnllm.chat_models.qianfan import ChatQianfan

__all__ = ["ChatQianfan"]

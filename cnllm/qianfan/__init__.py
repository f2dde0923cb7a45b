"""Baidu Qianfan (wenxinworkshop v1): model table, protocol, auth and client."""

from cnllm.qianfan.auth import Credentials
from cnllm.qianfan.client import QianfanClient

__all__ = ["Credentials", "QianfanClient"]

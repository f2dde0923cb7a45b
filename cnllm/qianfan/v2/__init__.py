"""Baidu Qianfan v2 (``https://qianfan.baidubce.com/v2``): an OpenAI-compatible dialect with
Qianfan's rules, its model table, bearer-key and minted-token auth, and the client."""

from cnllm.qianfan.v2.auth import BearerKey, MintedBearer
from cnllm.qianfan.v2.client import QianfanV2Client
from cnllm.qianfan.v2.models import V2Model
from cnllm.qianfan.v2.protocol import QianfanV2Protocol

__all__ = ["BearerKey", "MintedBearer", "QianfanV2Client", "QianfanV2Protocol", "V2Model"]

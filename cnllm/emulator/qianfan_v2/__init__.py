"""The emulated Baidu Qianfan v2 service (and IAM's BCE-BEARER); importing it registers it."""

from .vendor import QianfanV2Vendor

__all__ = ["QianfanV2Vendor"]

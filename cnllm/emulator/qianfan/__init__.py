"""The emulated Baidu Qianfan v1 service; importing it registers the vendor."""

from .vendor import QianfanVendor

__all__ = ["QianfanVendor"]

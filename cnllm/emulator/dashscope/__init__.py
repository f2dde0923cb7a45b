"""The emulated Alibaba DashScope service; importing it registers the vendor."""

from .vendor import DashScopeVendor

__all__ = ["DashScopeVendor"]

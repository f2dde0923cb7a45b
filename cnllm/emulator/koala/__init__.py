"""The emulated Koala 悠然 service (FastChat under /v1/); importing it registers the vendor."""

from .vendor import KoalaVendor

__all__ = ["KoalaVendor"]

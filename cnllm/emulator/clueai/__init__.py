"""The emulated ClueAI service; importing it registers the vendor."""

from .vendor import ClueAIVendor

__all__ = ["ClueAIVendor"]

"""The emulated dashscope service; importing it registers the vendor (filled in by its issue)."""

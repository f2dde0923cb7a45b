"""The emulated koala service; importing it registers the vendor (filled in by its issue)."""

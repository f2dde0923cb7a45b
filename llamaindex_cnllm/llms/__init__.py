"""llms: one module per vendor (see llamaindex_cnllm.__init__ for the public names)."""

"""retrievers: one module per vendor (see langchain_cnllm.__init__ for the public names)."""

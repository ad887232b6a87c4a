"""The LLM seam (protocol), the OpenAI-compatible client and the embedded llama-server runtime."""

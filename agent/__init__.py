"""Briefwright engine: ingest, index, retrieve, draft, verify, export, the LLM seam, settings."""

__version__ = "0.1.0"

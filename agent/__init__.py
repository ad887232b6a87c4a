"""Briefwright engine, by pipeline stage: core, corpus, llm, drafting, review, export; the composition root
(services) and the CLI on top."""

__version__ = "0.1.0"

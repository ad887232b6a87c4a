"""Core: the data contracts between stages, settings, workspace paths, atomic writes, verified model files.

Imports nothing else of agent."""

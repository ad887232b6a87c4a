"""Drafting: the template and prompts, evidence, section schemas, the pipeline, verification, redraft."""

"""Briefwright's brief template and prompts, as versioned data (TOML), shipped as package data."""

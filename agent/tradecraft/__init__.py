"""Analytic tradecraft by code: source profiles and grades, corroboration, figures and contradictions, the
timeline, estimative language and the ACH matrix (DESIGN.md, "Drafting": code finds the facts)."""

"""Offline evaluation of drafted briefs against gold briefs.

Evals are not tests: they measure quality and are run on purpose (``brief eval CASE_DIR...``).

- :mod:`evals.gold` parses a gold brief in the seed-000 layout.
- :mod:`evals.cases` loads a case folder (sources, gold brief, ``case.toml``) and keeps the gold out of the sources.
- :mod:`evals.metrics` holds the metrics, each a pure function (definitions in ``evals/README.md``).
- :mod:`evals.runner` ingests, drafts and scores a case in a throwaway workspace and writes the results.
- :mod:`evals.report` renders a run as a Markdown table and compares two runs.
"""

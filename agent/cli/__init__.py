"""The ``brief`` command line: one module per command group. The only part of agent that imports tui and evals."""

"""``python -m agent.cli``: the same as ``brief``."""

import sys

from agent.cli.main import main

sys.exit(main())

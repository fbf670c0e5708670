"""``python -m clickatell_protocol``: the same command line as ``clickatell-protocol``."""

import sys

from .cli import main

sys.exit(main())

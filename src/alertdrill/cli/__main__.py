"""`python -m alertdrill.cli` (the tests and `--with-drills` call it this way)."""

import sys

from alertdrill.cli import main

sys.exit(main())

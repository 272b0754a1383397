"""`python -m webauth ...`: see webauth/cli.py."""

import sys

from webauth.cli import main

sys.exit(main())

"""One-command launcher: web + worker + scheduler together, on embedded PostgreSQL/Redis when the URLs are unset.

Usage: python run.py [--demo] [--workers N] | python run.py --info   (the logic lives in the launcher package)
"""

from __future__ import annotations

import sys

from launcher.cli import main

if __name__ == "__main__":
    sys.exit(main())

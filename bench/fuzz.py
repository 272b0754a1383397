"""The fuzz tests (tests/integration/test_fuzz.py) with many more examples and a fresh random seed each run:
`python -m bench.fuzz [--examples 3000]`. Needs the test PostgreSQL and Redis (TEST_DATABASE_URL / TEST_REDIS_URL).
A failure prints hypothesis' minimal falsifying example; fix the bug, then keep a regression case in the test file.
"""

from __future__ import annotations

import argparse
import os
import sys

import pytest


def main(argv: list[str] | None = None) -> int:
    """Run the fuzz tests with the requested number of examples per test."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=3000, help="hypothesis examples per fuzz test")
    args = parser.parse_args(argv)
    os.environ["FUZZ_EXAMPLES"] = str(args.examples)
    os.environ["FUZZ_SEED"] = "random"  # derandomize off: every run explores new inputs
    return pytest.main(["-p", "no:dash", "-q", "tests/integration/test_fuzz.py"])


if __name__ == "__main__":
    sys.exit(main())

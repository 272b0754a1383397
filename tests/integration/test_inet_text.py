"""pipeline.inet against the real PostgreSQL: the text it gives an address is the text host(inet) prints."""

import random

import pytest
from sqlalchemy import text

from pipeline import inet

pytestmark = pytest.mark.integration


def _addresses(n: int) -> list[str]:
    """IPv6 addresses rich in zero groups and ffff (where the two printers could differ), plus some IPv4."""
    rng = random.Random(20261205)
    out = []
    for _ in range(n):
        groups = [rng.choice((0, 0, 0, 0xFFFF, 1, rng.randrange(65536))) for _ in range(8)]
        out.append(":".join(f"{g:X}" if rng.random() < 0.3 else f"{g:04x}" for g in groups))
        out.append(".".join(str(rng.randrange(256)) for _ in range(4)))
    return out


def test_python_and_postgresql_write_every_address_alike(engine):
    addresses = _addresses(5000)
    with engine.connect() as conn:
        host = dict(conn.execute(text("SELECT a, host(a::inet) FROM unnest(CAST(:a AS text[])) AS a"),
                                 {"a": addresses}).all())
    assert [a for a in addresses if inet.canonical(a) != host[a]] == []

"""How hard the fuzzers try: a short budget in ``make test``, a long one by hand.

``HUB_FUZZ_EXAMPLES=20000 .venv/bin/python -m pytest tests/fuzz -p no:xdist`` runs the long
campaign whose numbers the README quotes. An input that once broke a parser is kept in the
test as an explicit ``@example``, so it is tried first on every run.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

EXAMPLES = int(os.environ.get("HUB_FUZZ_EXAMPLES", "300"))

fuzz = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)

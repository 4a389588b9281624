"""Python's cyclic garbage collector in a process that serves until it exits.

Events churn through short-lived objects (states, cards, replies) that reference counting frees
on its own; the few that live a while (the engine's cached records) are what the collector's
youngest generation walks, by default after every 700 net allocations: several times per event
under load, about a tenth of the engine's CPU in the benchmark. Collecting it after
`YOUNG_OBJECTS` instead walks them far less often for the same garbage found, at a cost of at
most that many objects more waiting for a collection.
"""

from __future__ import annotations

import gc

YOUNG_OBJECTS = 10_000


def settle() -> None:
    """Once the course and the libraries are loaded: freeze what is alive out of the collector's
    way for good (`gc.freeze`) and let the youngest generation grow to `YOUNG_OBJECTS`.

    Frozen objects are never collected, so a process that builds runtimes again and again
    (tests, simulations) must not call this."""
    gc.freeze()
    young, middle, oldest = gc.get_threshold()
    gc.set_threshold(max(young, YOUNG_OBJECTS), middle, oldest)

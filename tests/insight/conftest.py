"""The cohort service fixtures (real engine, stores and audit log on the suite's Redis)."""

from tests.cohorts.conftest import learner_store, make_world, module, world

__all__ = ["learner_store", "make_world", "module", "world"]

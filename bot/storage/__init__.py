"""Persistence: the learner store interface, its Redis implementation, and the embedded Redis server."""

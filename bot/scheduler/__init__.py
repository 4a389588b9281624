"""Timed jobs shared by every bot process: nudges, lesson releases, reviews.

Jobs live in Redis (`JobStore`), so they survive restarts; any number of processes run a
`Scheduler` over the same store and each job runs once (see `store` for how).
"""

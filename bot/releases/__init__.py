"""Paced release: the jobs that announce a cohort's lessons as they open."""

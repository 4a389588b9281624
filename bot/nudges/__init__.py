"""Reminders to learners who stalled: when one is due (policy, quiet hours, weekends), what it
says, and the scheduler jobs that send it."""

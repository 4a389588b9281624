"""Cohort insight for facilitators: item analysis, charts and the anonymised reveal.

- `items`: facility, discrimination, option counts and flags per question (first attempts).
- `charts`: the progress funnel, the test score histogram and activity per day, as PNGs.
- `reveal`: a question's anonymised distribution of first answers, and its answer step.
- `cohort_data`: what they read of a cohort's learners, in pipelined batches.
"""

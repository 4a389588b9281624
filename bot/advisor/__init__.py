"""Lab advisors: the role-play partner a learner talks with in a lab."""

"""The course's state machines. Every transition is a pure function of (state, event, context)."""

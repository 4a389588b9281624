"""The shared vocabulary below the engine and the flows: events in, messages out, the learner's state."""

"""The platform-neutral conversation engine: events in, messages out, state in Redis."""

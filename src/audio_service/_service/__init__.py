"""The service: one background task, its state, the requests it serves, its saved session."""

"""The public client API that apps and UIs use to start, connect to and drive the service."""

"""Reaching the service: in the same process, or in a host process over the local socket."""

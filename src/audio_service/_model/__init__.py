"""The data model shared by the task, its clients and the wire: items, state, queue, events."""

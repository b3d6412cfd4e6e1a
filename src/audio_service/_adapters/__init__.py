"""Private helpers of the synchronous client and the GUI adapters (``sync``, ``qt``, ``gtk``)."""

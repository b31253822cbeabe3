"""The running service: what it holds (``AppState``), its lifespan, the monitor task, its
metrics registry and its graceful shutdown."""

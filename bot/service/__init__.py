"""The webhook service: FastAPI intake, durable workflows, wiring."""

"""The HTTP API and dashboard of carbon (FastAPI)."""

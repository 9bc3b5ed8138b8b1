"""Ingestion: readers, validation, the pipeline into the store, and the scheduled jobs."""

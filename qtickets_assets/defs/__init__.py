"""Dagster wiring: assets, checks, resources, jobs, schedules and sensors, split by source system."""

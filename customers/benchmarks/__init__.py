"""Benchmarks of the customers app (import, customer sync); run with `manage.py bench`."""

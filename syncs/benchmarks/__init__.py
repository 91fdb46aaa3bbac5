"""Benchmarks of the syncs app (pull, change sets); run with `manage.py bench`."""

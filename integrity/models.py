"""Integrity reports and findings."""

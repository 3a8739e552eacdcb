"""Benchmarks of the dashboard (``manage.py bench dashboard``)."""

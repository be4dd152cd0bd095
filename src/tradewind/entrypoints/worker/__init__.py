"""Scaling out: Celery workers that tick bots, and the scheduler that starts every slot."""

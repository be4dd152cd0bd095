"""Notification channels: signed webhooks over HTTP, and email over SMTP."""

"""The JSON API under /api/v1 (FastAPI): `create_app` builds it on an open store."""

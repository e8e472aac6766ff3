"""The JSON routers under /api/v1."""

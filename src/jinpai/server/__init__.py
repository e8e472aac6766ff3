"""Assembles the app: settings, typed dependencies, security; mounts api/ and web/."""

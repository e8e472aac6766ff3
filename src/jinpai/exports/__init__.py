"""Surfaces of a report: JSON, Rich tables, CSV and Excel sheets (display rounding lives here)."""

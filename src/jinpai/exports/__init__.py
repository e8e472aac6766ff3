"""Surfaces of a report: JSON, Rich tables, CSV and Excel sheets (rounded by jinpai.display)."""

"""Bad input to a use case: every surface shows it as one line (the CLI on stderr with exit code
2, the API as a 422 problem, the web app on the page), never as a traceback."""

from __future__ import annotations


class InputError(ValueError):
    """Input a use case cannot work with (a date, a metric, a file, a setting)."""


class ReportInputError(InputError):
    """Bad input to a report (dates, metric, profile, folder)."""


class ImportInputError(InputError):
    """Bad input to an import (path, table, mapping, timezone)."""

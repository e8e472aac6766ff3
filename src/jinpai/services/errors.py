"""What a use case refuses, with the HTTP status the server answers it with. Every surface
shows it as one line (the CLI on stderr with exit code 2, the API as a problem with that
status, the web app on the page), never as a traceback."""

from __future__ import annotations


class ServiceError(Exception):
    """A refusal the person can act on; ``status`` is the server's answer."""

    status = 400


class InputError(ServiceError, ValueError):
    """Input a use case cannot work with (a date, a metric, a file, a setting)."""


class ReportInputError(InputError):
    """Bad input to a report (dates, metric, profile, folder)."""


class ImportInputError(InputError):
    """Bad input to an import (path, table, mapping, timezone)."""


class Forbidden(ServiceError):
    """The person may not see or change this (another shop, another agent, not an owner)."""

    status = 403


class NotFound(ServiceError):
    status = 404


class TooLarge(ServiceError):
    status = 413


class TooManyAttempts(ServiceError):
    """Too many wrong passwords (of a username, or from an address): the sign-in waits
    ``retry_after`` seconds."""

    status = 429

    def __init__(self, message: str, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class WarehouseBusy(ServiceError):
    """Another process (a ``jinpai import`` beside ``jinpai serve``) holds the warehouse file
    still after waiting: try again in ``retry_after`` seconds."""

    status = 503

    def __init__(self, message: str, retry_after: int = 5) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ReportWarehouseBusy(WarehouseBusy, ReportInputError):
    """A report's warehouse held by another process: a 503 to the server, and to the command
    line (``jinpai report --db``) one line, like any report input it cannot use."""

"""Errors of the host driver; each carries the exit code the CLI ends with."""

from __future__ import annotations


class DriverError(Exception):
    """A failure to report as one line, without a traceback."""

    exit_code = 1


class NothingMatched(DriverError):
    """The command found nothing to act on where something was required (exit 2)."""

    exit_code = 2

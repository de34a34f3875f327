"""The one exception family the CLI turns into clean messages."""

from __future__ import annotations


class ForecastError(Exception):
    """A problem the user can fix: bad data, bad config, impossible request.

    ``problems`` holds one line per problem, already located
    (``data/deliveries.csv:7: figure: not a number``), so the CLI prints them as they are.
    """

    def __init__(self, problems: str | list[str] | tuple[str, ...]) -> None:
        if isinstance(problems, str):
            problems = (problems,)
        self.problems: tuple[str, ...] = tuple(problems)
        super().__init__("\n".join(self.problems))


class DataError(ForecastError):
    """History, calendar or seed files that cannot be loaded or reconciled."""


class ConfigError(ForecastError):
    """Scenario files and command-line overrides that are invalid."""

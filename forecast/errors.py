"""The one exception family the CLI turns into clean messages, and the one way a message
quotes the user's input (``excerpt``): short, escaped, on one line."""

from __future__ import annotations

MAX_EXCERPT = 60  # characters of a user's text a message quotes
MAX_DIGITS = 20  # digits of an integer a message quotes whole
MAX_PROBLEM = 500  # characters of one problem line, whatever it quotes


def excerpt(text: object, limit: int = MAX_EXCERPT) -> str:
    """``text`` quoted for a message as Python writes a string (``'2025-13'``), with every
    control, line-separator or unprintable character escaped, cut to ``limit`` characters
    (``'xxxx...' (100,000 characters)``): a cell or value can neither forge a second line,
    reach the terminal as an escape sequence, nor flood the message."""
    if not isinstance(text, str):
        return one_line(repr(text))
    if len(text) <= limit:
        return repr(text)
    shown = repr(text[:limit])
    return f"{shown[:-1]}...{shown[-1]} ({len(text):,} characters)"


def excerpt_int(value: int) -> str:
    """An integer for a message, its digits shortened past ``MAX_DIGITS`` (a 309-digit number
    is ``1000000000...000 (309 digits)``)."""
    text = str(value)
    digits = len(text.lstrip("-"))
    if digits <= MAX_DIGITS:
        return text
    return f"{text[:12]}...{text[-3:]} ({digits:,} digits)"


def one_line(problem: str) -> str:
    """``problem`` safe to print as one line: control characters escaped, at most
    ``MAX_PROBLEM`` characters. Every ``ForecastError`` applies it, the last guard for a
    message that quotes input some loader did not pass through ``excerpt``."""
    if problem.isprintable() and len(problem) <= MAX_PROBLEM:
        return problem
    safe = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in problem)
    if len(safe) > MAX_PROBLEM:
        safe = f"{safe[:MAX_PROBLEM]}... ({len(safe):,} characters)"
    return safe


class ForecastError(Exception):
    """A problem the user can fix: bad data, bad config, impossible request.

    ``problems`` holds one line per problem, already located
    (``data/deliveries.csv:7: figure: not a number``), so the CLI prints them as they are;
    each is passed through ``one_line``.
    """

    def __init__(self, problems: str | list[str] | tuple[str, ...]) -> None:
        if isinstance(problems, str):
            problems = (problems,)
        self.problems: tuple[str, ...] = tuple(one_line(str(p)) for p in problems)
        super().__init__("\n".join(self.problems))


class DataError(ForecastError):
    """History, calendar or seed files that cannot be loaded or reconciled."""


class ConfigError(ForecastError):
    """Scenario files and command-line overrides that are invalid."""

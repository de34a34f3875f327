"""The ``forecast`` command: parses arguments, calls the library, reports errors.

Commands live in ``forecast/cli/commands/`` and are imported only when invoked, so that
``forecast --help`` stays fast and heavy libraries (statsmodels, matplotlib) load only in
the commands that need them. Options that several commands share (``--set``, ``--seed``,
``--n-paths``, ``--workers``, ``--plot``, ``--out``, ...) are defined once, in
``forecast/cli/options.py``.

Errors end here, each as one line on stderr and never a traceback: a ``ForecastError``
(bad input) exits 2, an ``OSError`` (a folder that cannot be made, read-only, a full disk,
a file size limit, no permission to read an input) exits 1 naming the path and the cause,
SIGTERM exits 143 and Ctrl-C 130, in both cases after every cleanup ran (outputs are written
as one set: ``forecast.write.atomic``).
"""

from __future__ import annotations

import errno
import importlib
import os
import signal
import sys

import click

from forecast.errors import ForecastError
from forecast.write.atomic import Terminated, handle_sigterm

# name -> (module in forecast.cli.commands, one-line help shown by `forecast --help`)
COMMANDS: dict[str, tuple[str, str]] = {
    "history": ("history", "Show the reconciled monthly delivery history with its sources."),
    "check": ("check", "Check the history against every dated claim in the company's claims.csv."),
    "run": ("run", "Run a scenario: P(target), the range of outcomes, the run-rate needed."),
    "fit": ("fit", "Fit growth, lifecycle and seasonality models and show how they were chosen."),
    "validate": ("validate", "Check scenario files without running them."),
    "backtest": ("backtest", "Replay past cut-offs and score the forecasts against what happened."),
    "sensitivity": ("sensitivity", "Which uncertain inputs move P(target) most: a tornado table."),
    "compare": ("compare", "Run several scenarios on common random numbers and rank them."),
    "solve": ("solve", "What one assumption must be for P(target) to reach a level."),
    "init": ("init", "Write CSV templates and a baseline scenario for your own company."),
    "targets": ("targets", "List the announced targets of the bundled companies and outcomes."),
    "scenarios": ("scenarios", "List the bundled scenarios; run any of them by name."),
}


class LazyGroup(click.Group):
    """A click group that imports a command's module only when that command runs."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module = importlib.import_module(f"forecast.cli.commands.{COMMANDS[cmd_name][0]}")
        return module.command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context):  # type: ignore[no-untyped-def]
        try:
            return super().invoke(ctx)
        except ForecastError as error:
            for line in error.problems:
                click.echo(f"error: {line}", err=True)
            ctx.exit(2)
        except OSError as error:  # the file system, not the input: exit 1, one line
            click.echo(f"error: {os_error_line(error)}", err=True)
            ctx.exit(1)
        except KeyboardInterrupt:  # every cleanup has run; one line, the shell's status
            click.echo("error: interrupted (Ctrl-C)", err=True)
            ctx.exit(128 + signal.SIGINT)


def os_error_line(error: OSError) -> str:
    """One line naming the path (or paths) and the cause: ``out/x.csv: No space left on
    device``; control characters in a path are escaped, so they cannot forge a line."""
    cause = error.strerror or str(error) or type(error).__name__
    if error.errno == errno.EFBIG:
        cause += " (the file size limit, ulimit -f)"
    names = [_shown(n) for n in (error.filename, error.filename2) if n is not None]
    return f"{' -> '.join(names)}: {cause}" if names else cause


def _shown(name: object) -> str:
    text = os.fsdecode(name) if isinstance(name, (str, bytes, os.PathLike)) else str(name)
    return text if text.isprintable() else ascii(text)[1:-1]


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="forecast")
def cli() -> None:
    """Will a delivery target be reached, and what would it take?

    Example: forecast run scenarios/baseline.toml
    """


def main() -> None:
    # Our matrices are tiny: BLAS threads only contend with each other (10-30x slower
    # statsmodels fits on a busy 2-core machine). Must be set before numpy loads.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    handle_sigterm()  # SIGTERM (timeout, CI) unwinds like Ctrl-C: outputs stay whole
    try:
        cli(prog_name="forecast")
    except Terminated:
        click.echo("error: terminated (SIGTERM)", err=True)
        sys.exit(128 + signal.SIGTERM)


if __name__ == "__main__":  # pragma: no cover
    main()
    sys.exit(0)

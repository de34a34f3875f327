"""Options shared by the commands, each defined once so names, types, defaults and help agree.

Each function returns a click decorator. Where commands differ on purpose (``--out`` is a
folder for ``run`` and a file elsewhere; ``backtest`` has its own ``--n-paths`` default),
the difference is a parameter, and the help says what it means for that command.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from forecast.errors import ForecastError
from forecast.months import parse_month
from forecast.scenario.types import DEFAULT_SEED, MAX_PATHS

__all__ = [
    "DEFAULT_SEED",
    "data_option",
    "month_option",
    "n_paths_option",
    "no_cache_option",
    "out_option",
    "parse_month_option",
    "plot_file_option",
    "plot_option",
    "quiet_option",
    "seed_option",
    "set_option",
    "workers_option",
]

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]

SET_HELP = "Override a scenario key; the value is parsed as TOML. Repeatable."
WORKERS_HELP = (
    "Processes to use (with --executor dask and no --scheduler: the local cluster's); "
    "results are identical for any number."
)
EXECUTOR_HELP = (
    "Where the independent runs go: local worker processes, or a dask.distributed cluster "
    "(the dask extra). Results are identical either way."
)
SCHEDULER_HELP = (
    "With --executor dask: the address of a running dask scheduler "
    "(default: start a local cluster of --workers processes)."
)
PLOT_HELP = "Also write charts beside the CSVs, as PNG and SVG (needs matplotlib)."


def data_option() -> Decorator:
    """``--company NAME`` and ``--data FOLDER`` -> ``company``, ``data_dir``; resolve the
    pair with ``company_folder``."""
    company = click.option(
        "--company",
        metavar="NAME",
        default=None,
        help="A bundled company (forecast targets lists them; default: the baseline's).",
    )
    data = click.option(
        "--data",
        "data_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Your own company folder of CSVs (forecast init writes one) instead.",
    )
    return lambda function: company(data(function))


def company_folder(company: str | None, data_dir: Path | None) -> Path:
    """The folder ``--company``/``--data`` name: ``--data`` if given, else the bundled
    company (default: the one the bundled baseline scenario names)."""
    from forecast.load import paths

    if data_dir is not None:
        if company is not None:
            raise click.UsageError("give --company or --data, not both")
        return data_dir
    return paths.company_dir(company, key="--company") if company else paths.default_company_dir()


def out_option(*, help: str, default: Path | None = None, folder: bool = False) -> Decorator:
    """``--out``: a file, or with ``folder`` a folder; the default is shown in ``--help``."""
    return click.option(
        "--out",
        type=click.Path(file_okay=not folder, dir_okay=folder, path_type=Path),
        default=default,
        show_default=default is not None,
        help=help,
    )


def n_paths_option(
    *,
    default: int | None = None,
    minimum: int = 1,
    help: str = "Paths to simulate (default: the scenario's).",
) -> Decorator:
    """``--n-paths N`` -> ``n_paths``; None (no default) leaves the scenario's number."""
    return click.option(
        "--n-paths",
        "n_paths",
        type=click.IntRange(min=minimum, max=MAX_PATHS),
        default=default,
        show_default=default is not None,
        help=help,
    )


def seed_option(*, default: int | None = None) -> Decorator:
    """``--seed N``; None (no default) leaves the scenario's seed (itself ``DEFAULT_SEED``
    unless the scenario sets one). ``backtest``, whose seed overrides every replayed
    scenario's, passes ``default=DEFAULT_SEED``."""
    return click.option(
        "--seed",
        type=click.IntRange(min=0),
        default=default,
        show_default=default is not None,
        help="Random seed." if default is not None else "Random seed (default: the scenario's).",
    )


def set_option(*, help: str = SET_HELP) -> Decorator:
    """``--set KEY.PATH=VALUE`` (repeatable) -> ``overrides``, a tuple of strings."""
    return click.option("--set", "overrides", multiple=True, metavar="KEY.PATH=VALUE", help=help)


def workers_option(*, help: str = WORKERS_HELP) -> Decorator:
    """``--workers N``, ``--executor [processes|dask]`` and ``--scheduler ADDRESS`` -> one
    ``workers`` argument, a ``forecast.engine.parallel.Executor`` (pass it on to
    ``map_ordered`` or a sweep as ``workers``).

    ``--scheduler`` without ``--executor dask`` is a usage error; ``--executor dask`` without
    dask installed is one line naming the extra (exit 2), before any work.
    """
    workers = click.option(
        "--workers", type=click.IntRange(min=1), default=1, show_default=True, help=help
    )
    executor = click.option(
        "--executor",
        "executor_kind",
        type=click.Choice(["processes", "dask"]),
        default="processes",
        show_default=True,
        help=EXECUTOR_HELP,
    )
    scheduler = click.option("--scheduler", metavar="ADDRESS", default=None, help=SCHEDULER_HELP)

    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def command(
            *args: Any, workers: int, executor_kind: str, scheduler: str | None, **kwargs: Any
        ) -> Any:
            return function(
                *args, workers=make_executor(workers, executor_kind, scheduler), **kwargs
            )

        return workers(executor(scheduler(command)))

    return decorate


def make_executor(workers: int, kind: str, scheduler: str | None) -> Any:
    """The ``Executor`` the three options name (see ``workers_option``)."""
    from forecast.engine.parallel import Executor, require_dask

    if scheduler is not None and kind != "dask":
        raise click.UsageError("--scheduler needs --executor dask")
    if kind == "dask":
        require_dask()
    return Executor(kind=kind, workers=workers, scheduler=scheduler)  # type: ignore[arg-type]


def plot_option(*, help: str = PLOT_HELP) -> Decorator:
    """``--plot``: a flag; the charts go beside the command's other files.

    Without matplotlib the command stops when the option is parsed, before any work.
    """
    return click.option("--plot", is_flag=True, callback=_check_plot, help=help)


def plot_file_option(*, help: str) -> Decorator:
    """``--plot FILE``: one image, its format from the suffix.

    Matplotlib and the file's suffix are checked when the option is parsed, so a mistake
    is reported before the command's work rather than after it.
    """
    return click.option(
        "--plot",
        type=click.Path(dir_okay=False, path_type=Path),
        callback=_check_plot_file,
        help=help,
    )


def _check_plot(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    if value:
        from forecast.write.charts import require_matplotlib

        require_matplotlib()  # ForecastError: one line, exit 2 (forecast.cli.main)
    return value


def _check_plot_file(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    if value is not None:
        from forecast.write.charts import image_format, require_matplotlib

        require_matplotlib()
        try:
            image_format(value)
        except ValueError as error:
            raise ForecastError(f"--plot: {error}") from None
    return value


def quiet_option() -> Decorator:
    return click.option("--quiet", is_flag=True, help="No progress bar on stderr.")


def no_cache_option() -> Decorator:
    return click.option(
        "--no-cache",
        "no_cache",
        is_flag=True,
        help="Refit the model instead of using the fit cache (~/.cache/forecast).",
    )


def month_option(name: str, dest: str, *, help: str) -> Decorator:
    """A ``YYYY-MM`` option kept as text; ``parse_month_option`` turns it into a month."""
    return click.option(name, dest, metavar="YYYY-MM", help=help)


def parse_month_option(value: str | None, option: str) -> int | None:
    """The month ordinal of ``value`` (None stays None); a bad month names the option."""
    if value is None:
        return None
    try:
        return parse_month(value)
    except ValueError as error:
        raise ForecastError(f"{option}: {error}") from None

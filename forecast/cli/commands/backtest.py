"""``forecast backtest``: replay past cut-offs and score the forecasts against what happened."""

from __future__ import annotations

from pathlib import Path

import click

from forecast.cli import options
from forecast.cli.options import parse_month_option
from forecast.load import paths

DEFAULT_SCENARIO = paths.SCENARIOS / paths.BASELINE


@click.command("backtest")
@click.argument("scenario", required=False, type=click.Path(dir_okay=False, path_type=Path))
@options.month_option(
    "--from", "first", help="First cut-off (default: the third month of history)."
)
@options.month_option("--to", "last", help="Last cut-off (default: the second last month).")
@click.option(
    "--horizon",
    type=click.IntRange(1, 24),
    default=6,
    show_default=True,
    help="Months after each cut-off scored one by one.",
)
@options.n_paths_option(default=4000, minimum=100, help="Paths per forecast.")
@options.seed_option(default=options.DEFAULT_SEED)
@click.option(
    "--references/--no-references",
    default=True,
    show_default=True,
    help="Also replay other makers' launches (market/reference_launches.csv).",
)
@click.option(
    "--step",
    type=click.IntRange(min=1),
    default=2,
    show_default=True,
    help="Months between cut-offs of a reference launch.",
)
@options.out_option(help="Write one row per cut-off, series and method as CSV.")
@options.plot_file_option(help="Draw the reliability diagram and PIT histograms to this image.")
@options.set_option()
@click.option(
    "--targets",
    "target_study",
    is_flag=True,
    help="Run the target study instead: P(hit) of every announced target at every month-end "
    "cut-off, against run-rate, ETS and base-rate baselines (docs/backtest.md).",
)
@click.option(
    "--companies",
    help="Bundled companies, comma-separated, or 'all': the monthly backtest of each one's "
    "baseline, pooled (default: the scenario's company alone); the target study's companies "
    "(default: all).",
)
@click.option(
    "--peers",
    help="Bundled companies, comma-separated, or 'all': their lines are replayed too (the "
    "engine as fitted), so that their errors join the model-error walk's; the scenario's own "
    "company is left out (market/calibration.csv is written with 'all').",
)
@options.workers_option()
@click.option(
    "--write-calibration",
    "calibration_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the error walk per month (market/calibration.csv is this file).",
)
def command(
    scenario,
    first,
    last,
    horizon,
    n_paths,
    seed,
    references,
    step,
    out,
    plot,
    overrides,
    target_study,
    companies,
    peers,
    workers,
    calibration_out,
):
    """Replay every past cut-off: fit, simulate, and score against what happened.

    Scores the engine as fitted (uncalibrated), the engine with its model-error walk fitted on
    earlier errors only (forecast: what 'run' uses), and the naive, drift and ETS baselines:
    coverage of the 50/80/95% monthly intervals, PIT, CRPS, error of the median, and P(hit)
    of the targets known at each cut-off with the Brier score.

    With --targets: the target study (every bundled target statement from its announcement
    to November of its year; the report scores P(hit) and the annual total's intervals,
    pooled and per company). With --companies: the monthly backtest of every company named.

    Example: forecast backtest --from 2024-09 --to 2025-12 --no-references --out backtest.csv

    Example: forecast backtest --targets --workers 2 --out targets.csv --plot targets.png

    Example: forecast backtest --peers all --workers 2 --write-calibration calibration.csv
    """
    from forecast.write.files import check_csv_out, check_distinct

    # Refused before any work: an --out named like a chart, two outputs on one file.
    for option, path in (("--out", out), ("--write-calibration", calibration_out)):
        if path is not None:
            check_csv_out(path, option)
    check_distinct(("--out", out), ("--plot", plot), ("--write-calibration", calibration_out))
    # the first option given that belongs to the one-company backtest alone
    given = (("--write-calibration", calibration_out), ("--peers", peers))
    own = next((option for option, value in given if value is not None), None)
    if target_study:
        if own is not None:
            raise click.UsageError(f"{own} is not part of the target study")
        return _target_study(scenario, companies, n_paths, seed, workers, out, plot, overrides)
    if companies is not None:
        if own is not None:
            raise click.UsageError(f"{own} needs the one-company backtest")
        return _company_backtests(
            scenario,
            companies,
            (parse_month_option(first, "--from"), parse_month_option(last, "--to")),
            horizon,
            n_paths,
            seed,
            references,
            step,
            out,
            plot,
            overrides,
            workers,
        )
    from forecast.backtest.cases import Settings
    from forecast.backtest.report import TARGET_COLUMNS, pooled_sections, target_rows
    from forecast.backtest.run import run_backtest
    from forecast.write.tables import format_table

    result = run_backtest(
        scenario or DEFAULT_SCENARIO,
        first=parse_month_option(first, "--from"),
        last=parse_month_option(last, "--to"),
        settings=Settings(horizon=horizon, n_paths=n_paths, seed=seed),
        references=None if references else (),  # None: the data folder's own list
        step=step,
        overrides=overrides,
        workers=workers,
        peers=() if peers is None else _company_labels(peers, default_all=False, key="--peers"),
    )
    _echo_pooled(result.cases, pooled_sections(result.company, references=references))
    if result.peers or result.skipped_peers:
        skipped = "".join(f"; {label} skipped: {why}" for label, why in result.skipped_peers)
        click.echo(
            f"Peers replayed for the error walk: {', '.join(result.peers) or 'none'}{skipped}\n"
        )
    click.echo(
        f"Targets known at each cut-off\n{format_table(TARGET_COLUMNS, target_rows(result.cases))}"
    )
    extra = []
    if calibration_out is not None:
        from forecast.fit.calibration import CalibrationRow, calibration_csv

        source = (
            f"forecast backtest {scenario or 'scenarios/baseline.toml'} (seed {seed}; "
            f"{n_paths} paths; horizon {horizon}; "
            f"{'references' if references else 'no references'}"
            f"{'; peers ' + ' '.join(result.peers) if result.peers else ''})"
        )
        rows = tuple(
            CalibrationRow(as_of=m, error_walk=walk, n_errors=n, source=source)
            for m, walk, n in result.calibration
        )
        extra.append((calibration_out, calibration_csv(rows)))
    _write_cases(result.cases, horizon, out, plot, extra)


def _echo_pooled(cases, sections) -> None:
    """One table of coverage, CRPS, median error and Brier per (source, title) with cases."""
    from forecast.backtest.report import POOLED_COLUMNS, pooled_rows
    from forecast.write.tables import format_table

    for source, title in sections:
        rows = pooled_rows(cases, source)
        if rows:
            click.echo(
                f"{title}: coverage, CRPS, median error, Brier\n{format_table(POOLED_COLUMNS, rows)}\n"
            )


def _write_cases(cases, horizon, out, plot, extra=()) -> None:
    """The case table, the ``extra`` (path, text) files and the chart: one output set,
    swapped in together (forecast.write.atomic)."""
    from forecast.backtest.report import case_columns, case_rows, max_horizon
    from forecast.write.atomic import output_set
    from forecast.write.tables import csv_text

    width = max(horizon, max_horizon(cases))
    written = []
    with output_set() as outputs:
        if out is not None:
            written.append(
                outputs.write(out, csv_text(case_columns(width), case_rows(cases, width)))
            )
        for path, text in extra:
            written.append(outputs.write(path, text))
        if plot is not None:
            from forecast.write.charts import plot_backtest

            written.append(outputs.final(plot_backtest(cases, outputs.path(plot))))
    for path in written:
        click.echo(f"wrote {path}")


def _company_labels(text: str | None, *, default_all: bool, key: str = "--companies") -> list[str]:
    """``--companies`` (or ``key``): 'all', or labels separated by commas (each checked: a
    one-line error for an unknown one)."""
    if text is None and default_all or text is not None and text.strip() == "all":
        return list(paths.companies())
    labels = list(
        dict.fromkeys(label.strip() for label in (text or "").split(",") if label.strip())
    )
    if not labels:
        raise click.BadParameter("name at least one company, or 'all'", param_hint=key)
    for label in labels:
        paths.company_dir(label, key=key)
    return labels


def _target_study(scenario, companies, n_paths, seed, workers, out, plot, overrides) -> None:
    """``--targets``: run the study, print its report, write the CSV and the diagram."""
    from forecast.backtest import target_report as report
    from forecast.backtest.targets import Settings, bundled_company, run_study
    from forecast.write.atomic import output_set
    from forecast.write.tables import csv_text

    labels = _company_labels(companies, default_all=True)
    result = run_study(
        [bundled_company(label) for label in labels],
        scenario=scenario,
        overrides=overrides,
        settings=Settings(n_paths=n_paths, seed=seed),
        workers=workers,
    )
    for line in report.report_lines(result):
        click.echo(line)
    written = []
    with output_set() as outputs:
        if out is not None:
            table = csv_text(report.CSV_COLUMNS, report.csv_rows(result.forecasts))
            written.append(outputs.write(out, table))
        if plot is not None:
            from forecast.write.charts import plot_target_reliability

            rows = report.reliability_rows(result.forecasts)
            written.append(outputs.final(plot_target_reliability(rows, outputs.path(plot))))
    for path in written:
        click.echo(f"wrote {path}")


def _company_backtests(
    scenario,
    companies,
    span,
    horizon,
    n_paths,
    seed,
    references,
    step,
    out,
    plot,
    overrides,
    workers,
) -> None:
    """``--companies``: the monthly backtest of each company's baseline, pooled."""
    from forecast.backtest.cases import Settings
    from forecast.backtest.run import run_company_backtests

    result = run_company_backtests(
        scenario or DEFAULT_SCENARIO,
        _company_labels(companies, default_all=False),
        settings=Settings(horizon=horizon, n_paths=n_paths, seed=seed),
        references=None if references else (),
        step=step,
        overrides=overrides,
        workers=workers,
        first=span[0],
        last=span[1],
    )
    _echo_pooled(result.cases, result.sections())
    for label, reason in result.skipped:
        click.echo(f"skipped {label}: {reason}")
    _write_cases(result.cases, horizon, out, plot)

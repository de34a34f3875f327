"""Fixtures and checks every test shares.

- ``project`` / ``project_copy``: the hand-made company and scenarios of tests/factories.py,
  on which unit tests run; ``bundle``: its data loaded.
- the bundled ``data/``, ``scenarios/`` and ``seeds/`` are for the tests in tests/e2e/ only
  (see "the bundled data is e2e" below).
- one BLAS thread: the fits solve many tiny problems, for which OpenBLAS's threads only wait
  for each other (a fit of the hand-made data takes 0.2 s with one thread and 2 s with two on
  a busy two-core machine). Set before numpy is imported; an explicit setting wins.
"""

from __future__ import annotations

import os

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import builtins  # noqa: E402
import contextlib  # noqa: E402
import io  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

from forecast.load.bundle import DataBundle, load_bundle  # noqa: E402
from tests.factories import Project, copy_project, write_project  # noqa: E402

REPO = Path(__file__).resolve().parent.parent

# Hypothesis profiles, chosen by HYPOTHESIS_PROFILE (default "dev"; .ci/run sets "ci").
# Tests that fix max_examples in their own @settings keep it; the fuzz targets in
# tests/load/test_fuzz.py and tests/scenario/test_fuzz.py take theirs from the profile:
#   HYPOTHESIS_PROFILE=fuzz python -m pytest tests -k fuzz -q   (10,000 per target)
_SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
settings.register_profile("dev", max_examples=100, deadline=None, suppress_health_check=_SLOW_OK)
settings.register_profile(
    "ci", max_examples=50, deadline=None, derandomize=True, suppress_health_check=_SLOW_OK
)
settings.register_profile(
    "fuzz", max_examples=10_000, deadline=None, suppress_health_check=_SLOW_OK
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20260201)


@pytest.fixture(scope="session")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """The hand-made project (tests/factories.py), written once; tests must not edit it."""
    return write_project(tmp_path_factory.mktemp("project"))


@pytest.fixture
def project_copy(project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    """A private copy of the hand-made project in ``tmp_path``, the working folder, so that
    messages name its files as ``data/deliveries.csv``."""
    monkeypatch.chdir(tmp_path)
    return copy_project(project, tmp_path)


@pytest.fixture(scope="session")
def bundle(project: Project) -> DataBundle:
    """The hand-made project's data, loaded."""
    return load_bundle(project.data)


@pytest.fixture(autouse=True, scope="session")
def _fit_cache_dir(tmp_path_factory: pytest.TempPathFactory):
    """Every test (and CLI subprocess) uses a private fit cache, never ~/.cache/forecast."""
    old = os.environ.get("FORECAST_CACHE_DIR")
    os.environ["FORECAST_CACHE_DIR"] = str(tmp_path_factory.mktemp("fit-cache"))
    yield
    if old is None:
        os.environ.pop("FORECAST_CACHE_DIR", None)
    else:
        os.environ["FORECAST_CACHE_DIR"] = old


# ------------------------------------------------------------------ the bundled data is e2e
# Unit tests build small histories by hand (tests/factories.py), so that adding a month to the
# bundled data cannot break one. Only tests marked e2e (those in tests/e2e/) may read the
# bundled data/, scenarios/ and seeds/. For every other test, and while collecting any module
# outside tests/e2e/, the code's default folders point at a sentinel folder, and opening any
# file in the bundled folders or the sentinel raises. The check covers module- and
# session-scoped fixtures too (they are set up inside the first test that uses them).

E2E_DIR = Path(__file__).resolve().parent / "e2e"
NOT_BUNDLED = Path("/nonexistent/the-bundled-data-is-for-e2e-tests-only")


def _import_forecast() -> None:
    """Import every module of forecast first, so that none binds a default folder (a
    module constant, a default argument, a click option) while a test has it pointed away."""
    import importlib
    import pkgutil

    import forecast

    for module in pkgutil.walk_packages(forecast.__path__, "forecast."):
        if module.name != "forecast.__main__":  # that one runs the command line
            importlib.import_module(module.name)


def _bundled_roots() -> tuple[str, ...]:
    from forecast.cli.commands import backtest
    from forecast.load import paths

    folders = {
        REPO / "data",
        REPO / "scenarios",
        REPO / "seeds",
        paths.DATA,
        paths.SCENARIOS,
        backtest.DEFAULT_SCENARIO.parent,
    }
    return (*sorted({os.path.realpath(folder) for folder in folders}), str(NOT_BUNDLED))


class _BundledDataGuard:
    """Refuses to open the bundled data unless ``allowed``; points the defaults elsewhere."""

    def __init__(self) -> None:
        self.roots = _bundled_roots()
        self.allowed = True
        self.real = {"builtins": builtins.open, "io": io.open, "os": os.open}
        # every module constant of forecast naming a bundled folder or file (the modules are
        # all imported by now)
        self.defaults = [
            (module, attr, value)
            for name, module in list(sys.modules.items())
            if name.split(".")[0] == "forecast" and module is not None
            for attr, value in list(vars(module).items())
            if isinstance(value, Path)
            and self.is_bundled(value)
            and (name, attr) != ("forecast.load.paths", "SCENARIOS")
        ]
        # A scenario that names no company takes the library baseline's: reading that name
        # is allowed (the company's folder itself stays out of reach).
        from forecast.load import paths

        self.named_default = os.path.realpath(paths.SCENARIOS / paths.BASELINE)

    def is_bundled(self, file: object) -> bool:
        if isinstance(file, int) or not isinstance(file, str | bytes | os.PathLike):
            return False
        path = os.fsdecode(os.fspath(file))
        real = path if path.startswith(str(NOT_BUNDLED)) else os.path.realpath(path)
        return any(real == root or real.startswith(root + os.sep) for root in self.roots)

    def wrap(self, real_open):
        def guarded_open(file, *args, **kwargs):
            # a name relative to dir_fd (shutil.rmtree does this) is not under the cwd
            relative = kwargs.get("dir_fd") is not None
            if (
                not self.allowed
                and not relative
                and self.is_bundled(file)
                and os.path.realpath(os.fspath(file)) != self.named_default
            ):
                raise AssertionError(
                    f"a unit test opened the bundled data: {os.fspath(file)}; build a small "
                    "history (tests/factories.py), or mark the test e2e in tests/e2e/"
                )
            return real_open(file, *args, **kwargs)

        return guarded_open

    def install(self) -> None:
        builtins.open = io.open = self.wrap(self.real["builtins"])  # one object, like Python's
        os.open = self.wrap(self.real["os"])

    def uninstall(self) -> None:
        builtins.open, io.open, os.open = (self.real[k] for k in ("builtins", "io", "os"))

    @contextlib.contextmanager
    def blocked(self):
        """The defaults point at the sentinel and opening bundled files raises."""
        for module, attr, value in self.defaults:
            setattr(module, attr, NOT_BUNDLED / value.name)
        allowed, self.allowed = self.allowed, False
        try:
            yield
        finally:
            self.allowed = allowed
            for module, attr, value in self.defaults:
                setattr(module, attr, value)


_import_forecast()
_GUARD = _BundledDataGuard()


def pytest_configure(config: pytest.Config) -> None:
    _GUARD.install()


def pytest_unconfigure(config: pytest.Config) -> None:
    _GUARD.uninstall()


def _in_e2e(path: Path) -> bool:
    return E2E_DIR == path or E2E_DIR in path.parents


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector):
    path = getattr(collector, "path", None)
    if path is None or _in_e2e(Path(path)) or not str(path).endswith(".py"):
        yield
        return
    with _GUARD.blocked():
        yield


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The e2e marker and the tests/e2e/ folder go together."""
    wrong = [
        item.nodeid
        for item in items
        if (item.get_closest_marker("e2e") is not None) != _in_e2e(Path(item.path))
    ]
    if wrong:
        raise pytest.UsageError(
            "tests marked e2e must live in tests/e2e/ and tests there must be marked e2e: "
            + ", ".join(wrong)
        )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem):
    if item.get_closest_marker("e2e") is not None:
        yield
        return
    with _GUARD.blocked():
        yield

"""No identifier or string literal under forecast/ names a company or a model line.

Company-specific facts are data (``data/company.csv``, ``lines.csv``, ``bev_models.csv``,
``reference_launches.csv``), so the names looked for are read from the bundled data too:
adding a company or a line to the data extends this check without editing it. Comments and
docstrings may name them (to explain a number, say); code may not. It reads the bundled data,
so it lives in tests/e2e.
"""

from __future__ import annotations

import ast
import csv
import io
import re
import tokenize
from pathlib import Path

import pytest

from forecast.load.company import load_company
from forecast.load.launches import load_reference_launches
from tests.e2e.conftest import FLAT_DATA

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
DATA = FLAT_DATA
SOURCES = sorted((REPO / "forecast").rglob("*.py"))


def _column(name: str, column: str) -> set[str]:
    with (DATA / name).open(newline="", encoding="utf-8") as handle:
        return {row[column].strip() for row in csv.DictReader(handle)} - {""}


def _names() -> set[str]:
    """Every company, make, model line and replayed launch the bundled data names, spelled
    as there."""
    company = load_company(DATA / "company.csv")
    launches = load_reference_launches(DATA / "reference_launches.csv")
    # A model alone only when it could not be an ordinary word ("Aion|Y" is matched as the
    # words "aion y", never as "y").
    models = {m for m in (name.split("|")[1] for name in launches) if len(m) >= 3}
    names = {company.label, company.name, *company.own_makes, *launches, *models}
    return names | _column("lines.csv", "line") | _column("bev_models.csv", "make")


NAMES = _names()
# Makes that are also everyday words in numerical code: matched only as the data spells them
# ("JAC", "JAC_FITS"), since "jac" is scipy's name for a Jacobian.
TERMS = {"jac"}


def _words(text: str, *, lower: bool = True) -> str:
    """Words separated by single spaces: ``backtestXiaomi_total`` -> ``backtest xiaomi
    total``, so a name matches as whole words, never inside another word (the make ``MG`` is
    not in ``image``)."""
    text = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text)
    return " ".join(re.findall(r"[a-z0-9]+", text.lower() if lower else text, re.IGNORECASE))


def _pattern(name: str) -> tuple[bool, re.Pattern[str]]:
    """(lower-cased?, pattern) for a name."""
    lower = name.lower() not in TERMS
    words = re.escape(_words(name, lower=lower))
    return lower, re.compile(rf"(?<![A-Za-z0-9]){words}(?![A-Za-z0-9])")


PATTERNS = {name: _pattern(name) for name in NAMES if _words(name)}


def _docstring_starts(tree: ast.AST) -> set[tuple[int, int]]:
    """Where each bare string statement starts: the docstrings of modules, classes and
    functions, and attribute docstrings after an assignment."""
    return {
        (node.lineno, node.col_offset)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    }


def code_tokens(source: str) -> list[tuple[int, str]]:
    """(line, text) of every NAME and STRING token that is code: not a comment, not a
    docstring."""
    skip = _docstring_starts(ast.parse(source))
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    kinds = {tokenize.NAME, tokenize.STRING, getattr(tokenize, "FSTRING_MIDDLE", -1)}
    return [(t.start[0], t.string) for t in tokens if t.type in kinds and t.start not in skip]


def offences(source: str) -> list[str]:
    found = []
    for line, text in code_tokens(source):
        words = {True: _words(text), False: _words(text, lower=False)}
        hits = [name for name, (lower, p) in PATTERNS.items() if p.search(words[lower])]
        found += [f"{line}: {text} ({name})" for name in sorted(hits)]
    return found


def test_the_names_come_from_the_data() -> None:
    # else the check below could pass by looking for nothing
    company = load_company(DATA / "company.csv")
    assert company.label in NAMES and len(_column("lines.csv", "line")) >= 1
    assert len(_column("bev_models.csv", "make")) >= 10


def test_the_check_finds_a_name_in_code_but_not_in_docs() -> None:
    company = load_company(DATA / "company.csv")
    line = sorted(_column("lines.csv", "line"))[0]
    code = (
        f'"""About {company.name} and its {line}."""\n'
        f"# {company.name} in a comment\n"
        f"def backtest_{company.label}(x):\n"
        f'    """{line} in a docstring."""\n'
        f'    return x == "{line}"\n'
        f'LABEL = f"{{x}} {company.name} total"\n'
    )
    lines = sorted({int(hit.split(":")[0]) for hit in offences(code)})
    assert lines == [3, 5, 6]
    assert offences("image = msg + union  # no make hides inside a word\n") == []
    assert offences("minimize(f, x0, jac=True)\nlog_y = 1\n") == []  # a Jacobian; not Aion's Y
    assert offences("JAC_FITS = 1\n") == ["1: JAC_FITS (JAC)"]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(REPO)))
def test_no_company_or_line_is_named_in_code(path: Path) -> None:
    assert offences(path.read_text(encoding="utf-8")) == []

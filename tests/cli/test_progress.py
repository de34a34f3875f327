"""The progress bar: only on a terminal, only after a delay, never when quiet."""

from __future__ import annotations

import io

from forecast.cli.progress import progress_bar, show_progress


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_shows_only_on_a_terminal_and_not_when_quiet() -> None:
    assert show_progress(quiet=False, stream=_Tty())
    assert not show_progress(quiet=True, stream=_Tty())
    assert not show_progress(quiet=False, stream=io.StringIO())


def test_progress_bar_appears_only_after_the_delay() -> None:
    now = [0.0]
    quick, slow = _Tty(), _Tty()
    with progress_bar(3, label="quick", stream=quick, clock=lambda: now[0]) as advance:
        for _ in range(3):
            now[0] += 0.2
            advance(1)
    assert quick.getvalue() == ""
    now[0] = 0.0
    with progress_bar(3, label="slow", stream=slow, clock=lambda: now[0]) as advance:
        for _ in range(3):
            now[0] += 0.6
            advance(1)
    assert "slow" in slow.getvalue() and "3/3" in slow.getvalue()


def test_progress_bar_is_silent_when_quiet() -> None:
    stream = _Tty()
    with progress_bar(2, label="x", quiet=True, delay=0, stream=stream) as advance:
        advance(2)
    assert stream.getvalue() == ""

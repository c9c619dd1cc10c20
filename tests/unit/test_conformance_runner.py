"""The `make conformance` runner's own logic (docs/conformance.md): set-up retries and
the verdict. The Tempest run itself is `make conformance`."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance import run, tempest_setup


def test_retry_tries_a_setup_step_again_then_gives_up(monkeypatch: pytest.MonkeyPatch
                                                      ) -> None:
    monkeypatch.setattr(tempest_setup.time, "sleep", lambda _: None)
    calls: list[int] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise RuntimeError("port taken")
        return "up"

    assert tempest_setup.retry("step", flaky) == "up" and len(calls) == 3
    calls.clear()

    def broken() -> None:
        calls.append(1)
        raise OSError("no")

    with pytest.raises(OSError):
        tempest_setup.retry("step", broken, attempts=2)
    assert len(calls) == 2

    def wrong() -> None:  # not a set-up hiccup: no second try
        calls.append(1)
        raise ValueError("bug")

    calls.clear()
    with pytest.raises(ValueError):
        tempest_setup.retry("step", wrong)
    assert len(calls) == 1


def test_plain_id_drops_tempest_attributes() -> None:
    assert tempest_setup.plain_id("a.B.test_x[id-1,smoke]") == "a.B.test_x"
    assert tempest_setup.plain_id("a.B.test_y") == "a.B.test_y"


def test_verdict(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected, unstable, skips = (tmp_path / n for n in ("expected", "unstable", "skips"))
    expected.write_text("# c\nt.one\nt.two\nt.wobbly\n")
    unstable.write_text("t.wobbly\n")
    skips.write_text("Nova is not available | no Nova\n")
    for name, path in (("EXPECTED", expected), ("UNSTABLE", unstable),
                       ("ALLOWED_SKIPS", skips)):
        monkeypatch.setattr(run, name, path)
    ok = {"t.one": ("success", ""), "t.two": ("success", ""), "t.wobbly": ("fail", "x"),
          "t.three": ("fail", "y"), "t.four": ("skip", "Nova is not available")}
    assert run.report(ok, 60, update=False) == 0  # unstable and unlisted tests not judged
    assert run.report({**ok, "t.two": ("fail", "z")}, 60, update=False) == 1
    assert run.report({k: v for k, v in ok.items() if k != "t.one"}, 60, update=False) == 1
    assert run.report({**ok, "t.five": ("skip", "why not")}, 60, update=False) == 1

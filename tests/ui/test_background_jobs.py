"""run_job answers on the UI thread, and many quick jobs in a row never crash on teardown."""

from __future__ import annotations

import threading

from PySide6.QtWidgets import QWidget

from ninja_desk.ui.settings.background import run_job


def test_answers_arrive_on_the_ui_thread_and_relays_go_away(qtbot) -> None:  # type: ignore[no-untyped-def]
    owner = QWidget()
    qtbot.addWidget(owner)
    ui_thread = threading.get_ident()
    answers: list[tuple[object, int]] = []
    errors: list[tuple[str, int]] = []

    def fail() -> None:
        raise ValueError("no database")

    for i in range(200):
        run_job(owner, lambda i=i: i, lambda v: answers.append((v, threading.get_ident())), print)
    run_job(owner, fail, print, lambda e: errors.append((str(e), threading.get_ident())))

    qtbot.waitUntil(lambda: len(answers) == 200 and len(errors) == 1, timeout=10_000)
    assert sorted(v for v, _ in answers) == list(range(200))
    assert {t for _, t in answers} == {ui_thread}
    assert errors == [("no database", ui_thread)]
    from ninja_desk.ui.settings import background

    qtbot.waitUntil(lambda: not background._IN_FLIGHT, timeout=5_000)


def test_a_card_closed_while_its_job_runs_is_never_called_back(qtbot) -> None:  # type: ignore[no-untyped-def]
    from ninja_desk.ui.settings import background

    release = threading.Event()
    called: list[object] = []
    owners = [QWidget() for _ in range(50)]
    for owner in owners:
        run_job(owner, lambda: release.wait(5) or "late answer", called.append, called.append)
    for owner in owners:
        owner.deleteLater()
    qtbot.wait(50)  # the owners are gone now
    release.set()
    qtbot.waitUntil(lambda: not background._IN_FLIGHT, timeout=10_000)
    assert called == []

"""Turns at SQLite's write lock inside one server process (kiosk.locks.writer_turn).

Ten tablets on one server used to meet in SQLite's busy handler, which sleeps between tries:
the waiting, not the writing, was most of a scan's time, and throughput fell as tablets were
added (bench/scan.py measures it). Now the server's threads queue for the lock first come,
first served; these tests hold the queue's order, that every end of a transaction passes the
turn on (nothing leaks and blocks the next writer), and thirty scans at once all land.
"""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select

from kiosk import locks
from kiosk.extensions import db
from kiosk.files import sqlite_path
from kiosk.models import Event, Garment
from kiosk.request_keys import write_lock
from tests.conftest import Factory, login


def test_turns_are_handed_over_in_the_order_they_were_asked_for():
    turns = locks.Turns()
    assert turns.acquire(timeout=1)
    order, started = [], []

    def wait(name):
        started.append(name)
        assert turns.acquire(timeout=10)
        order.append(name)
        turns.release()

    threads = []
    for name in ("a", "b", "c", "d"):
        thread = threading.Thread(target=wait, args=(name,))
        thread.start()
        threads.append(thread)
        while len(started) < len(threads) or len(turns._waiting) < len(threads):
            time.sleep(0.001)  # each one queued before the next asks
    turns.release()
    for thread in threads:
        thread.join(10)
    assert order == ["a", "b", "c", "d"]


def test_a_wait_that_runs_out_leaves_the_queue_as_it_was():
    turns = locks.Turns()
    assert turns.acquire(timeout=1)
    assert turns.acquire(timeout=0.05) is False  # held: the wait runs out
    assert len(turns._waiting) == 0
    turns.release()
    assert turns.acquire(timeout=0.05)  # free again: taken at once


def _turn(app):
    with app.app_context():
        return locks._turn_for(str(sqlite_path(db.engine.url)))


@pytest.mark.parametrize("end", ["commit", "rollback", "remove"])
def test_every_end_of_a_transaction_passes_the_turn_on(app, end):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite only: PostgreSQL locks rows, there is no one write lock to queue for")
        write_lock(db.session)
        turn = _turn(app)
        assert turn._held  # this transaction has the turn
        {"commit": db.session.commit, "rollback": db.session.rollback, "remove": db.session.remove}[end]()
        assert not turn._held
        write_lock(db.session)  # the next one gets it at once
        assert turn._held
        db.session.rollback()


def test_thirty_scans_at_once_on_one_server_all_land(app):
    with app.app_context():
        make = Factory()
        tags = [make.garment(status="issued").tag for _ in range(30)]
        user_id = make.user(role="clerk", pin="2580").id
        db.session.commit()
    clients = []
    for _ in tags:
        client = app.test_client()
        assert login(client, user_id).status_code == 302
        clients.append(client)
    barrier = threading.Barrier(len(tags))
    answers = [None] * len(tags)

    def scan(i):
        barrier.wait()
        body = clients[i].post("/checkin/scan", data={"code": tags[i]}, headers={"HX-Request": "true"})
        answers[i] = body.get_data(as_text=True)

    threads = [threading.Thread(target=scan, args=(i,)) for i in range(len(tags))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert all('data-scan-result="ok"' in answer for answer in answers), [a[:300] for a in answers
                                                                         if 'data-scan-result="ok"' not in a]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Event).join(Garment)
                                 .where(Event.action == "check_in", Garment.tag.in_(tags))) == len(tags)
        if db.engine.dialect.name == "sqlite":
            assert not _turn(app)._held  # every turn passed on

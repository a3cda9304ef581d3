"""The duty list's turn under two requests at once (PostgreSQL, two real connections).

By design the list's row is locked while the turn moves: two offers at the same moment are
served one after the other and get two different lawyers, the next and the one after, never
the same one twice; and two appointments on one case at once give one appointment and one
clear conflict."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from casework.core.exceptions import TransitionConflict
from casework.lawyers.models import Appointment, DutyList, DutyListMember, Lawyer
from casework.lawyers.services import appointment_make, duty_list_offer
from tests.factories import ApplicationFactory, DecisionFactory

pytestmark = [pytest.mark.services("postgres"), pytest.mark.django_db(transaction=True)]


def _at_once(work, args_list) -> list:
    barrier = threading.Barrier(len(args_list))
    results: list = []

    def run(*args) -> None:
        try:
            barrier.wait(timeout=10)
            results.append(work(*args))
        except TransitionConflict as exc:
            results.append(f"conflict: {exc.message}")
        finally:
            connection.close()  # each thread had its own real connection

    threads = [threading.Thread(target=run, args=args) for args in args_list]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


def _duty_list(n: int) -> tuple[DutyList, list[Lawyer]]:
    duty = DutyList.objects.create(kind="48h", region="east")
    lawyers = [
        Lawyer.objects.create(name=f"Lawyer {i}", bar_number=f"B-{i}", region="east")
        for i in range(n)
    ]
    for position, lawyer in enumerate(lawyers, start=1):
        DutyListMember.objects.create(duty_list=duty, lawyer=lawyer, position=position)
    return duty, lawyers


def test_two_offers_at_once_get_two_different_lawyers_in_turn(caseworker):
    duty, lawyers = _duty_list(3)
    offered = _at_once(lambda: duty_list_offer(actor=caseworker, duty_list=duty).pk, [(), ()])
    assert sorted(offered) == sorted([lawyers[0].pk, lawyers[1].pk])
    duty.refresh_from_db()
    assert duty.last_position == 2 and duty.version == 3
    assert duty_list_offer(actor=caseworker, duty_list=duty) == lawyers[2]


def test_two_appointments_on_one_case_at_once_give_one(caseworker):
    duty, _lawyers = _duty_list(2)
    app = ApplicationFactory(state="rejected")
    DecisionFactory(application=app, instance="first", outcome="rejected")
    results = _at_once(
        lambda: (
            appointment_make(
                actor=caseworker, application=app, reason="rejection", duty_list=duty
            ).pk
        ),
        [(), ()],
    )
    assert len([r for r in results if isinstance(r, int)]) == 1
    assert any(str(r).startswith("conflict: The case has a lawyer already") for r in results)
    assert Appointment.objects.filter(application=app).count() == 1

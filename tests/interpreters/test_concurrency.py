"""Two bookings of one interpreter at once, on PostgreSQL with two real connections: exactly
one wins, the other is told the interpreter is taken (never a server error)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from casework.interpreters import services
from casework.interpreters.models import InterpreterBooking
from tests.factories import ApplicationFactory, InterviewFactory

from .conftest import at


@pytest.mark.services("postgres")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("rounds", [5])
def test_two_concurrent_bookings_of_one_interpreter_exactly_one_wins(
    rounds, coordinator, caseworker, unit
):
    assert connection.vendor == "postgresql"
    interpreter = services.interpreter_register(
        actor=coordinator,
        name="Amina Yusuf",
        gender="female",
        region="Oslo",
        languages=[{"language": "som", "qualification": "A"}],
    )
    for day in range(rounds):
        case = ApplicationFactory(unit=unit, assigned_to=caseworker, state="examined")
        # Two interviews an hour apart: each session of three hours overlaps the other.
        first = InterviewFactory(application=case, scheduled_at=at(9, days=10 + day))
        second = InterviewFactory(application=case, scheduled_at=at(10, days=10 + day))
        barrier = threading.Barrier(2)
        results: list[str] = []
        lock = threading.Lock()

        def request(interview, results=results, barrier=barrier, lock=lock) -> None:
            try:
                barrier.wait(timeout=30)
                services.booking_request(
                    actor=caseworker,
                    interpreter=interpreter,
                    interview=interview,
                    language="som",
                )
                outcome = "booked"
            except services.BookingOverlap as exc:
                outcome = f"refused: {exc.message}"
            except Exception as exc:  # any other error fails the test
                outcome = f"error: {exc!r}"
            finally:
                connection.close()  # each thread had its own real connection
            with lock:
                results.append(outcome)

        threads = [threading.Thread(target=request, args=(i,)) for i in (first, second)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert sorted(r.split(":")[0] for r in results) == ["booked", "refused"], results
        refusal = next(r for r in results if r.startswith("refused"))
        assert "Amina Yusuf is already booked" in refusal
        assert InterpreterBooking.objects.filter(application=case).count() == 1

"""The check that no model written by statements has ``save()`` logic or receivers they skip."""

from __future__ import annotations

from django.db.models.signals import post_save

from casework.core import checks
from casework.models import Application, Decision


def test_the_models_written_by_statements_pass_today():
    assert checks.statement_written_models_have_no_skipped_logic() == []


def test_a_save_override_on_a_statement_written_model_fails_the_check(monkeypatch):
    def save(self, *args, **kwargs):  # logic a transition's statement would skip
        super(Application, self).save(*args, **kwargs)

    save.__qualname__ = "Application.save"
    monkeypatch.setattr(Application, "save", save, raising=False)
    errors = checks.statement_written_models_have_no_skipped_logic()
    assert [e.id for e in errors] == ["casework.E001"]
    assert "casework.Application defines save()" in errors[0].msg


def test_a_post_save_receiver_on_a_statement_written_model_fails_the_check():
    def receiver(**kwargs):
        pass

    post_save.connect(receiver, sender=Decision)
    try:
        errors = checks.statement_written_models_have_no_skipped_logic()
    finally:
        post_save.disconnect(receiver, sender=Decision)
    assert [e.id for e in errors] == ["casework.E002"]


def test_the_private_signal_api_the_check_reads_is_still_there():
    """``Signal._live_receivers`` has no public twin; if Django changes it, fail here, loudly."""
    sync, asynchronous = post_save._live_receivers(Application)
    assert isinstance(sync, list) and isinstance(asynchronous, list)

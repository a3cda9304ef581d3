from django.apps import AppConfig


class ReminderTestAppConfig(AppConfig):
    name = "tests.casework.reminder_testapp"
    label = "reminder_testapp"

    def ready(self) -> None:
        from casework.deadlines import registry
        from casework.deadlines.channels import register_channel

        from .channels import (
            MAILED_SOURCE,
            BrokenChannel,
            FlakyChannel,
            MailThenHangChannel,
            OutboxChannel,
            SlowChannel,
        )

        for channel in (
            OutboxChannel,
            FlakyChannel,
            SlowChannel,
            BrokenChannel,
            MailThenHangChannel,
        ):
            register_channel(channel())
        registry.register(MAILED_SOURCE)

from django.apps import AppConfig


class ReminderTestAppConfig(AppConfig):
    name = "tests.casework.reminder_testapp"
    label = "reminder_testapp"

    def ready(self) -> None:
        from casework.deadlines.channels import register_channel

        from .channels import BrokenChannel, FlakyChannel, OutboxChannel, SlowChannel

        for channel in (OutboxChannel, FlakyChannel, SlowChannel, BrokenChannel):
            register_channel(channel())

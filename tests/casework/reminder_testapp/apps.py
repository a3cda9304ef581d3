from django.apps import AppConfig


class ReminderTestAppConfig(AppConfig):
    name = "tests.casework.reminder_testapp"
    label = "reminder_testapp"

    def ready(self) -> None:
        from casework.channels import register_channel

        from .channels import FlakyChannel, OutboxChannel, SlowChannel

        for channel in (OutboxChannel, FlakyChannel, SlowChannel):
            register_channel(channel())

"""A test-only Django app: extra reminder channels, registered from ``AppConfig.ready`` exactly
as a real SMS channel would be. The Celery worker started by the tests installs it through
``tests.casework.reminder_testapp.worker_settings``."""

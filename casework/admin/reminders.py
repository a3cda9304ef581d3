"""Admin for deadlines and reminders: what is due, what was sent, what failed."""

"""Interpreters: the register of qualified interpreters and their bookings for interviews and
appeal hearings (Interpreting Act 2022: public bodies must use a qualified interpreter)."""

"""Admin for people, applications, interviews, decisions, appeals and audit events."""

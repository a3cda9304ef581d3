"""Return after a final rejection: the departure deadline, assisted and forced return, and
whereabouts unknown (Immigration Act §§ 90 and 90 a)."""

"""Resettlement: the yearly quota, UNHCR's referrals and the arrivals counted against it."""

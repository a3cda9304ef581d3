"""Residence permits as records: the permit a decision gives, its expiry and its renewals."""

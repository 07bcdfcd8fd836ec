"""Oversight of the audit chain: verification and reading, for auditors."""

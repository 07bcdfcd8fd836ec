"""Shared kernel: database, money, periods, errors, audit, security."""

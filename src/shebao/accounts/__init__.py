"""Accounts: users, roles, login with lockout, bearer tokens."""

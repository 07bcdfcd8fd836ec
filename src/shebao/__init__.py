"""shebao — one person, one number, one card, one account, one network."""

__version__ = "0.1.0"

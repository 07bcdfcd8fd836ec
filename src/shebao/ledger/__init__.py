"""The ledger: a double-entry, append-only journal. Balances are derived from lines, never stored alone."""

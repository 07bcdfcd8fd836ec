"""Transfer and continuation between provinces (转移接续), temporary accounts, the place of benefit, scheme conversion."""

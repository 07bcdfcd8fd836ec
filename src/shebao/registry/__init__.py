"""Registry: persons, employers and administrative regions."""

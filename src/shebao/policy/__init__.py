"""Rules as data: dated parameters per region, with their sources."""

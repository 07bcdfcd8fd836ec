"""Enrollment: who participates in which insurance, through whom, where and when."""

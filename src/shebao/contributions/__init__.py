"""Contributions: wage bases, monthly assessment, bills, payments, arrears, make-up payments."""

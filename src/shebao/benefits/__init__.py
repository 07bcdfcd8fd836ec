"""Benefits: retirement, pension award and payroll, certification, unemployment, work injury, maternity."""

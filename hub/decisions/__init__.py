"""Decisions and guidelines published to the front line (决策传达): read within 24 hours, answered
within 3 business days, and who did so late."""

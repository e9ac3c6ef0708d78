"""Response-time metrics: samples from the ticket event log, rollups, reports and exports."""

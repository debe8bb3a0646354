"""绩效考核: indicators, rollups, reports and drill-down, computed only from the event log (DOMAIN §6)."""

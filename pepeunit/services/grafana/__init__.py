"""Grafana integration: an org per user, dashboards built from pipe data, the datasource the
Infinity plugin reads, and Pepeunit as Grafana's OAuth 2 login provider (datapipe-grafana.md §7)."""

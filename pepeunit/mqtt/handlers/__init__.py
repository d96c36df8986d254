"""One module per kind of unit report: ``state``, ``logs``, ``node_value`` (see ``mqtt.dispatch``)."""

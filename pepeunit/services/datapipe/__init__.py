"""DataPipe: per-node pipelines (active period -> filters -> transformations -> processing policy)
run by the MQTT consumer on ``<domain>/<node uuid>/pepeunit`` values, and the stored history they
produce. ``pipe_config`` is the parsed config every other module works with."""

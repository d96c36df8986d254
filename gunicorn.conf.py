"""gunicorn settings: ``gunicorn -c gunicorn.conf.py wsgi:app``.

The values come from the validated ``Settings``, so a bad variable stops the
master before any worker starts.
"""
from pepeunit.config import Settings

_settings = Settings.from_env()

bind = _settings.PU_BIND
workers = _settings.PU_WORKER_COUNT
worker_class = "gthread"
threads = _settings.PU_WORKER_THREADS
timeout = 60
graceful_timeout = 20
keepalive = 5
accesslog = _settings.PU_ACCESS_LOG or None
# No preload: each worker builds its own app, database pool and Redis pool after the fork.
preload_app = False
# gunicorn's control socket (``gunicornc``, gunicorn >= 25.1) is off: its default path is one per
# user ($XDG_RUNTIME_DIR or ~/.gunicorn/gunicorn.ctl), so two masters on one host (two instances,
# or the old and new master of a deploy) would replace and then delete each other's. Nothing here
# uses it; stop, reload and resize by signals (TERM, HUP, TTIN/TTOU) to the master instead.
control_socket_disable = True


def post_fork(server, worker):
    """Every worker starts the runtime: it contends for the lease of every registered background job
    (``leader``: MQTT consumer, broker set-up, scheduled jobs; ``telegram``: the bot's job) and, with
    ``PU_MQTT_CONSUMER_MODE=shared``, this worker's own consumer in the shared group."""
    from pepeunit.runtime import runner

    runner.start_in_worker()


def worker_exit(server, worker):
    """Hand the leases back at once on a graceful stop instead of letting them lapse; a shared-mode
    consumer leaves its group (stores what it holds, ends its broker session)."""
    from pepeunit.runtime import runner

    runner.stop_in_worker()

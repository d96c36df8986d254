"""gunicorn settings: ``gunicorn -c gunicorn.conf.py wsgi:app``.

The values come from the validated ``Settings``, so a bad variable stops the
master before any worker starts.
"""
import os
import shutil
import tempfile

from pepeunit.config import Settings
from pepeunit.observability.logs import gunicorn_logger

_settings = Settings.from_env()

bind = _settings.PU_BIND
workers = _settings.PU_WORKER_COUNT
worker_class = "gthread"
threads = _settings.PU_WORKER_THREADS
timeout = 60
graceful_timeout = 20
keepalive = 5
accesslog = _settings.PU_ACCESS_LOG or None
loglevel = _settings.PU_LOG_LEVEL.lower()
# Text and JSON (PU_LOG_FORMAT) for gunicorn's own lines too; the access line shows query names, not
# values, and ends with the request id the app echoed.
logger_class = gunicorn_logger(_settings.PU_LOG_FORMAT)
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms request_id=%({x-request-id}o)s'
# No preload: each worker builds its own app, database pool and Redis pool after the fork.
preload_app = False
# gunicorn's control socket (``gunicornc``, gunicorn >= 25.1) is off: its default path is one per
# user ($XDG_RUNTIME_DIR or ~/.gunicorn/gunicorn.ctl), so two masters on one host (two instances,
# or the old and new master of a deploy) would replace and then delete each other's. Nothing here
# uses it; stop, reload and resize by signals (TERM, HUP, TTIN/TTOU) to the master instead.
control_socket_disable = True

# Prometheus multiprocess mode: every worker writes its figures to files in one folder, a scrape
# sums them. The variable must be set before any worker imports prometheus_client (workers import
# the app after the fork, and inherit this environment); the folder starts empty at every start.
# A reload (HUP) reads this file again and finds the variable already set: same folder, same sums.
_PRIVATE_PREFIX = os.path.join(tempfile.gettempdir(), "pepeunit-prometheus-")
if _settings.PU_FF_PROMETHEUS_ENABLE:
    _metrics_dir = _settings.PU_PROMETHEUS_MULTIPROC_DIR or os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not _metrics_dir:
        _metrics_dir = tempfile.mkdtemp(prefix=os.path.basename(_PRIVATE_PREFIX))
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = os.path.abspath(_metrics_dir)


def on_starting(server):
    """Master start: an empty metrics folder (files of a previous run would add to the new figures)."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR") if _settings.PU_FF_PROMETHEUS_ENABLE else None
    if directory:
        os.makedirs(directory, exist_ok=True)
        for name in os.listdir(directory):
            if name.endswith(".db"):
                os.remove(os.path.join(directory, name))


def on_exit(server):
    """Master exit: the private temporary folder goes (a configured PU_PROMETHEUS_MULTIPROC_DIR stays)."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
    if _settings.PU_FF_PROMETHEUS_ENABLE and directory.startswith(_PRIVATE_PREFIX):
        shutil.rmtree(directory, ignore_errors=True)


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


def child_exit(server, worker):
    """In the master, after a worker exited: drop its live gauges (its counters stay in the sums)."""
    if _settings.PU_FF_PROMETHEUS_ENABLE:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)

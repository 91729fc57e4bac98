"""Gunicorn settings for the portal: `gunicorn portal.wsgi` reads this file from the project root.

A page waits on SmartISP (tens to hundreds of milliseconds) far longer than it computes, so each
worker process runs threads: processes use the cores, threads cover the waiting. Every value can be
overridden from the environment (docs/deployment.md), or on the command line.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# One process per core: the warm pages are CPU-bound, and more processes than cores only adds
# switching. WEB_CONCURRENCY is gunicorn's (and most platforms') usual name for this number.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
worker_class = "gthread"
# Threads per process: how many requests may be waiting on SmartISP at once in each process.
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
# A page makes its SmartISP calls in parallel, each bounded by SMARTISP_TIMEOUT (10 s); a request
# still running after this many seconds is stuck and its worker is restarted.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
# Behind nginx the connection is kept alive by the proxy; a few seconds is plenty.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# Recycle processes now and then so a slow leak can never grow without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "20000"))
max_requests_jitter = max_requests // 10
# The reverse proxy on the same machine (or network) sets X-Forwarded-For/-Proto.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

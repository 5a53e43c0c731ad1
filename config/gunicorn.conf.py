"""gunicorn settings for the web container (`gunicorn -c config/gunicorn.conf.py config.wsgi`).

Threaded workers (gthread): a connected client that sends nothing, or keeps an idle keep-alive
connection, waits in the worker's poller and holds no thread; only a request being processed
does. Sync workers gave each connection a whole process, so four idle clients stalled the site.
Slow uploads and slow readers are absorbed by the buffering proxy in front (deploy/nginx.conf),
which hands gunicorn only complete requests. Every number can be set from the environment.
"""

import os


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
worker_class = "gthread"
workers = _int("WEB_WORKERS", 3)  # processes; about one per core
threads = _int("WEB_THREADS", 8)  # requests processed at once per process (keep DB_POOL_MAX >= this)
worker_connections = _int("WEB_MAX_CONNECTIONS", 1000)  # open client connections per process
timeout = _int("WEB_TIMEOUT", 60)  # a worker silent this long is killed and replaced
graceful_timeout = _int("WEB_GRACEFUL_TIMEOUT", 30)  # requests in flight may finish on restart
keepalive = _int("WEB_KEEPALIVE", 5)  # an idle keep-alive connection is closed after this
max_requests = _int("WEB_MAX_REQUESTS", 5000)  # a process is recycled after this many requests
max_requests_jitter = _int("WEB_MAX_REQUESTS_JITTER", 500)  # ... not all at once
limit_request_line = 8190
limit_request_fields = 100
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
errorlog = "-"

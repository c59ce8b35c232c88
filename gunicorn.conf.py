"""Read by gunicorn when started from this directory (`gunicorn config.wsgi`): the access log
keeps OAuth `code` and `state`, tokens and credentials out of its lines."""

logger_class = "integrations.core.access_log.RedactingAccessLogger"

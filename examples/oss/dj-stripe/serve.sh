#!/bin/sh
# Start the shop on an empty database: build the tables, register the webhook endpoint, serve.
set -e
cd "$(dirname "$0")"
PY=${PYTHON:-.venv/bin/python}
export FRESH_DATABASE=1
"$PY" manage.py migrate --run-syncdb --noinput -v 0
"$PY" manage.py register_webhook
exec "$PY" manage.py runserver --noreload --nothreading "127.0.0.1:${PORT:?}"

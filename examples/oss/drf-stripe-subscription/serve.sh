#!/bin/sh
# Start the shop on an empty database: build the tables, pull the catalog, serve.
set -e
cd "$(dirname "$0")"
PY=${PYTHON:-.venv/bin/python}
"$PY" manage.py migrate --noinput -v 0
"$PY" manage.py update_stripe_products
exec "$PY" manage.py runserver --noreload --nothreading "127.0.0.1:${PORT:?}"

#!/usr/bin/env bash
# The body of `make run`: migrate, seed demo data if the database is empty,
# then (once the API exists) serve it. Expects ASSETS_DATABASE_URL and
# ASSETS_ELASTICSEARCH_URL (make run sets them from scripts/services.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin/assets migrate
bin/assets seed --if-empty --assets "${ASSETS_DEMO_ASSETS:-5000}" --tenants 2 --groups 4 --orgs 12 --seed 1 >/dev/null
echo "run: PostgreSQL holds the demo data ($ASSETS_DATABASE_URL)."
echo "run: the API server is not built yet; this stops after seeding."

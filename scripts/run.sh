#!/usr/bin/env bash
# The body of `make run`: migrate, seed demo data if the database is empty,
# create a demo token, print example requests, then serve the API with the
# sync worker in-process. Expects ASSETS_DATABASE_URL and
# ASSETS_ELASTICSEARCH_URL (make run sets them from scripts/services.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
addr=${ASSETS_ADDR:-127.0.0.1:8080}
bin/assets migrate
# An index built by an older checkout is rebuilt (q== needs the new fields).
bin/assets reindex --if-outdated >/dev/null
bin/assets seed --if-empty --assets "${ASSETS_DEMO_ASSETS:-5000}" --tenants 2 --groups 4 --orgs 12 --seed 1 >/dev/null
tenant=$(psql "$ASSETS_DATABASE_URL" -tAc "SELECT tenant_id FROM assets GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
token=$(bin/assets token create --name "make run $(date -u +%FT%TZ)" --grant "tenant:$tenant:tenant.edit")
base="http://$addr/rest/tenants/$tenant/inventory/assets"
cat <<MSG

The API serves demo data at http://$addr/rest (OpenAPI: http://$addr/rest/openapi.json,
reference: http://$addr/rest/docs/).
The explorer: http://$addr/explorer/#kind=tenants&id=$tenant (paste the token below to sign in).
A token with tenant.edit on tenant $tenant:

  $token

Try:
  curl -s -H 'Authorization: Token $token' '$base?version=2024-10-15&limit=10&sort=-risk_score&filter=registry==docker.io;class=in=(A,B)'
  curl -s -H 'Authorization: Token $token' '$base/groups?version=2024-10-15'
  curl -s -G -H 'Authorization: Token $token' '$base?version=2024-10-15' --data-urlencode 'filter=q==nginx'

MSG
exec bin/assets serve --with-sync --addr "$addr"

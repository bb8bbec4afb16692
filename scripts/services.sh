#!/usr/bin/env bash
# Starts (or stops) the real PostgreSQL and Elasticsearch used by `make run`,
# `make test` and CI. Idempotent: when both already answer it only prints the
# environment lines. Usage: scripts/services.sh up|down|env
#
# With a Docker engine it uses compose.yaml. Without one it runs PostgreSQL 15
# from Debian's packages in a cluster it owns and Elasticsearch from Maven
# Central's integ-test-zip, both as an unprivileged user (both refuse root),
# with their data under .services/ (git-ignored).
#
# For fault drills, one service can be stopped and started again:
#   scripts/services.sh stop postgres|elasticsearch
#   scripts/services.sh start postgres|elasticsearch [NODE]
# stop finds the instance that answers on the port (whichever checkout
# started it) and remembers its data folder, so start brings back that same
# instance, with its data, rather than a new one.
#
# ASSETS_ES_NODES=N (default 1) starts an N-node Elasticsearch cluster on HTTP
# ports ASSETS_ES_PORT.. and transport ports ASSETS_ES_PORT+100..; with it,
# `stop|start elasticsearch NODE` stops or starts node NODE (1..N) alone.
# ASSETS_ES_SECURITY=on starts it with TLS (a CA generated under the services
# folder), an admin user, the role assets_service and an API key of that role
# only; `env` then prints the API key and the CA file too. Both modes are
# described in docs/elasticsearch-security.md.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=${ASSETS_SERVICES_DIR:-$repo/.services}
pg_port=${ASSETS_PG_PORT:-55432}
es_port=${ASSETS_ES_PORT:-59200}
pg_db=${ASSETS_PG_DATABASE:-assets}
es_version=${ASSETS_ES_VERSION:-8.19.9}
es_nodes=${ASSETS_ES_NODES:-1}
es_security=${ASSETS_ES_SECURITY:-off}
index_prefix=${ASSETS_INDEX:-assets}
case "$es_nodes" in '' | *[!0-9]* | 0) printf 'services: error: ASSETS_ES_NODES=%s: want 1 or more\n' "$es_nodes" >&2; exit 2 ;; esac
# Three nodes must fit on a developer machine beside PostgreSQL.
if [ "$es_nodes" -gt 1 ]; then es_heap=${ASSETS_ES_HEAP:-512m}; else es_heap=${ASSETS_ES_HEAP:-1g}; fi
svc_user=${ASSETS_SERVICES_USER:-assets-svc}
database_url="postgres://assets@127.0.0.1:$pg_port/$pg_db?sslmode=disable"
case "$es_security" in on | off) ;; *) printf 'services: error: ASSETS_ES_SECURITY=%s: want on or off\n' "$es_security" >&2; exit 2 ;; esac
es_scheme=http
[ "$es_security" = on ] && es_scheme=https
elasticsearch_url="$es_scheme://127.0.0.1:$es_port"

log() { printf 'services: %s\n' "$*" >&2; }
# shellcheck source=scripts/services-cluster.sh
. "$repo/scripts/services-cluster.sh"
die() { printf 'services: error: %s\n' "$*" >&2; exit 1; }

# print_env prints export lines, so that eval "$(scripts/services.sh env)"
# sets the variables for the commands a shell runs next.
print_env() {
	printf 'export ASSETS_DATABASE_URL=%s\n' "$database_url"
	if cluster_mode; then
		printf 'export ASSETS_ELASTICSEARCH_URL=%s\n' "$(es_urls)"
		[ "$es_security" = on ] && print_security_env
	else
		printf 'export ASSETS_ELASTICSEARCH_URL=%s\n' "$elasticsearch_url"
	fi
	return 0
}

docker_engine() { command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; }

pg_bin() {
	local d
	for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
		[ -x "$d/initdb" ] && { echo "$d"; return 0; }
	done
	return 1
}

pg_up() { "$(pg_bin)/pg_isready" -q -h 127.0.0.1 -p "$pg_port" 2>/dev/null; }
es_up() { curl -fsS -m 2 "$elasticsearch_url/_cluster/health" >/dev/null 2>&1; }

# as_user runs a command as the unprivileged service user (or as ourselves
# when we are not root).
as_user() {
	if [ "$(id -u)" = 0 ]; then runuser -u "$svc_user" -- "$@"; else "$@"; fi
}

ensure_user() {
	[ "$(id -u)" = 0 ] || return 0
	id "$svc_user" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$svc_user" \
		|| die "could not create the unprivileged user $svc_user"
	mkdir -p "$dir"
	chown "$svc_user" "$dir"
	# Both servers need to reach their folders; a checkout under a private home
	# folder would hide them, so fall back to a world-traversable place.
	if ! runuser -u "$svc_user" -- test -w "$dir"; then
		dir=/var/tmp/assets-services-$(printf '%s' "$repo" | sha256sum | cut -c1-12)
		log "$svc_user cannot reach the checkout; keeping service data in $dir"
		mkdir -p "$dir" && chown "$svc_user" "$dir"
	fi
}

ensure_postgres_installed() {
	pg_bin >/dev/null && return 0
	log "PostgreSQL server binaries not found; installing Debian's postgresql package"
	[ "$(id -u)" = 0 ] || die "PostgreSQL is not installed and we are not root to apt-get install it"
	apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null \
		|| die "apt-get install postgresql failed"
	pg_bin >/dev/null || die "postgresql installed but no initdb found under /usr/lib/postgresql"
}

start_postgres() {
	pg_up && { log "PostgreSQL already answers on port $pg_port"; ensure_database; return 0; }
	ensure_postgres_installed
	local bin data logf
	bin=$(pg_bin)
	data=$dir/pgdata
	logf=$dir/postgres.log
	if [ ! -s "$data/PG_VERSION" ]; then
		log "initialising a PostgreSQL cluster in $data"
		mkdir -p "$data" && chown "$svc_user" "$data" 2>/dev/null || true
		as_user "$bin/initdb" -D "$data" -U assets --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
			|| die "initdb failed; see $dir/initdb.log"
		cat >>"$data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $pg_port
unix_socket_directories = '$data'
max_connections = 300
shared_buffers = 512MB
work_mem = 32MB
maintenance_work_mem = 256MB
max_wal_size = 4GB
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
	fi
	touch "$logf" && chown "$svc_user" "$logf" 2>/dev/null || true
	as_user "$bin/pg_ctl" -D "$data" -l "$logf" -w -t 60 start >/dev/null \
		|| die "PostgreSQL did not start; see $logf"
	ensure_database
	log "PostgreSQL is up on port $pg_port (log: $logf)"
}

# ensure_database creates the database ASSETS_PG_DATABASE names (default
# assets) when it is missing.
ensure_database() {
	local bin
	bin=$(pg_bin)
	as_user "$bin/psql" -h 127.0.0.1 -p "$pg_port" -U assets -d postgres -tAc \
		"SELECT 1 FROM pg_database WHERE datname = '$pg_db'" | grep -q 1 \
		|| as_user "$bin/createdb" -h 127.0.0.1 -p "$pg_port" -U assets "$pg_db" \
		|| die "could not create the database $pg_db; see $dir/postgres.log"
}

java_home() {
	local j
	if [ -n "${ES_JAVA_HOME:-}" ]; then echo "$ES_JAVA_HOME"; return 0; fi
	# Elasticsearch 8.19 runs on JDK 17 or 21+; prefer a 21, then 17.
	for j in /usr/lib/jvm/*21* /usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/*17*; do
		[ -x "$j/bin/java" ] && { echo "$j"; return 0; }
	done
	return 1
}

fetch_elasticsearch() {
	local cache=$dir/cache v
	mkdir -p "$cache"
	for v in "$es_version" 8.19.12 8.19.11 8.19.10 8.19.9 8.19.8 8.19.7; do
		[ -s "$cache/elasticsearch-$v.zip" ] && { echo "$v"; return 0; }
	done
	command -v mvn >/dev/null || die "Maven (mvn) is needed to fetch Elasticsearch and is not installed"
	for v in "$es_version" 8.19.12 8.19.11 8.19.10 8.19.9 8.19.8 8.19.7; do
		log "fetching org.elasticsearch.distribution.integ-test-zip:elasticsearch:$v:zip with Maven"
		if mvn -q -B dependency:copy -Dartifact="org.elasticsearch.distribution.integ-test-zip:elasticsearch:$v:zip" \
			-DoutputDirectory="$cache" >"$dir/mvn.log" 2>&1; then
			echo "$v"
			return 0
		fi
	done
	die "no Elasticsearch 8.19.x integ-test-zip resolved from Maven; see $dir/mvn.log"
}

start_elasticsearch() {
	if cluster_mode; then start_cluster; return 0; fi
	es_up && { log "Elasticsearch already answers on port $es_port"; return 0; }
	local v home jh logf
	home=$(es_unpack)
	v=${home##*/elasticsearch-}
	if ! grep -q '^node.name: assets-dev-1$' "$home/config/elasticsearch.yml"; then
		cat >>"$home/config/elasticsearch.yml" <<CONF
cluster.name: assets-dev
node.name: assets-dev-1
path.data: $home/data
path.logs: $home/logs
network.host: 127.0.0.1
http.port: $es_port
transport.port: $((es_port + 100))
discovery.type: single-node
xpack.security.enabled: false
cluster.routing.allocation.disk.threshold_enabled: false
action.destructive_requires_name: false
# Indexes are created with their mapping, never by a write: a worker writing
# to an abandoned reindex target must fail (and retry), not recreate it.
action.auto_create_index: false
CONF
		chown -R "$svc_user" "$home" 2>/dev/null || true
	fi
	jh=$(java_home) || die "no JDK 17 or 21+ found under /usr/lib/jvm; set ES_JAVA_HOME"
	logf=$dir/elasticsearch.log
	touch "$logf" && chown "$svc_user" "$logf" 2>/dev/null || true
	as_user env ES_JAVA_HOME="$jh" ES_JAVA_OPTS="-Xms$es_heap -Xmx$es_heap" \
		"$home/bin/elasticsearch" -d -p "$home/es.pid" >"$logf" 2>&1 \
		|| die "Elasticsearch did not start; see $logf and $home/logs/"
	local i
	for i in $(seq 1 180); do
		if curl -fsS -m 2 "$elasticsearch_url/_cluster/health?wait_for_status=yellow&timeout=1s" >/dev/null 2>&1; then
			log "Elasticsearch $v is up on port $es_port (logs: $logf, $home/logs/)"
			return 0
		fi
		sleep 1
	done
	die "Elasticsearch did not become healthy in 180 s; see $logf and $home/logs/assets-dev.log"
}

stop_all() {
	local bin f
	if bin=$(pg_bin) && [ -s "$dir/pgdata/PG_VERSION" ]; then
		as_user "$bin/pg_ctl" -D "$dir/pgdata" -m fast -w stop >/dev/null 2>&1 && log "PostgreSQL stopped" || true
	fi
	for f in "$dir"/elasticsearch-*/es.pid "$dir"/es-node-*/es.pid; do
		[ -s "$f" ] || continue
		kill "$(cat "$f")" 2>/dev/null && log "Elasticsearch stopped" || true
		rm -f "$f"
	done
}

# --- stop/start one service (fault drills) -----------------------------------

# listener_pid prints the pid of the process listening on a loopback port.
listener_pid() {
	ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2
}

stop_postgres() {
	pg_up || { log "PostgreSQL is not running on port $pg_port"; return 0; }
	local bin data
	bin=$(pg_bin) || die "no PostgreSQL binaries found"
	data=$(as_user "$bin/psql" -h 127.0.0.1 -p "$pg_port" -U assets -d postgres -tAc 'SHOW data_directory') \
		|| die "could not ask PostgreSQL on port $pg_port for its data directory"
	[ -s "$data/PG_VERSION" ] || die "PostgreSQL on port $pg_port reports data directory $data, which this script cannot reach"
	printf '%s\n' "$data" >"$dir/postgres.stopped"
	as_user "$bin/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null || die "pg_ctl stop failed for $data"
	log "PostgreSQL stopped (data: $data)"
}

start_stopped_postgres() {
	pg_up && { log "PostgreSQL already answers on port $pg_port"; rm -f "$dir/postgres.stopped"; return 0; }
	local data=""
	[ -s "$dir/postgres.stopped" ] && data=$(cat "$dir/postgres.stopped")
	if [ -z "$data" ] || [ ! -s "$data/PG_VERSION" ]; then
		start_postgres
		return 0
	fi
	local bin logf
	bin=$(pg_bin) || die "no PostgreSQL binaries found"
	logf=$(dirname "$data")/postgres.log
	[ -w "$logf" ] || logf=$dir/postgres.log
	touch "$logf" && chown "$svc_user" "$logf" 2>/dev/null || true
	as_user "$bin/pg_ctl" -D "$data" -l "$logf" -w -t 60 start >/dev/null || die "PostgreSQL did not start; see $logf"
	rm -f "$dir/postgres.stopped"
	log "PostgreSQL is up again on port $pg_port (data: $data)"
}

stop_elasticsearch() {
	local pid home heap i
	pid=$(listener_pid "$es_port")
	[ -n "$pid" ] || { log "Elasticsearch is not running on port $es_port"; return 0; }
	home=$(tr '\0' '\n' <"/proc/$pid/cmdline" | sed -n 's/^-Des\.path\.home=//p' | head -1)
	[ -n "$home" ] && [ -x "$home/bin/elasticsearch" ] || die "process $pid on port $es_port is not an Elasticsearch this script can restart"
	heap=$(tr '\0' '\n' <"/proc/$pid/cmdline" | sed -n 's/^-Xmx//p' | head -1)
	printf '%s\n%s\n' "$home" "${heap:-$es_heap}" >"$dir/elasticsearch.stopped"
	kill "$pid" 2>/dev/null || true
	for i in $(seq 1 120); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.5
	done
	if kill -0 "$pid" 2>/dev/null; then
		log "Elasticsearch (pid $pid) did not stop in 60 s; killing it"
		kill -9 "$pid" 2>/dev/null || true
		sleep 1
	fi
	rm -f "$home/es.pid"
	log "Elasticsearch stopped (pid $pid, home: $home)"
}

start_stopped_elasticsearch() {
	es_up && { log "Elasticsearch already answers on port $es_port"; rm -f "$dir/elasticsearch.stopped"; return 0; }
	local home="" heap=$es_heap jh logf i
	if [ -s "$dir/elasticsearch.stopped" ]; then
		home=$(sed -n 1p "$dir/elasticsearch.stopped")
		heap=$(sed -n 2p "$dir/elasticsearch.stopped")
	fi
	if [ -z "$home" ] || [ ! -x "$home/bin/elasticsearch" ]; then
		start_elasticsearch
		return 0
	fi
	jh=$(java_home) || die "no JDK 17 or 21+ found under /usr/lib/jvm; set ES_JAVA_HOME"
	logf=$(dirname "$home")/elasticsearch.log
	[ -w "$logf" ] || logf=$dir/elasticsearch.log
	touch "$logf" && chown "$svc_user" "$logf" 2>/dev/null || true
	as_user env ES_JAVA_HOME="$jh" ES_JAVA_OPTS="-Xms${heap:-$es_heap} -Xmx${heap:-$es_heap}" \
		"$home/bin/elasticsearch" -d -p "$home/es.pid" >"$logf" 2>&1 \
		|| die "Elasticsearch did not start; see $logf and $home/logs/"
	for i in $(seq 1 180); do
		if curl -fsS -m 2 "$elasticsearch_url/_cluster/health?wait_for_status=yellow&timeout=1s" >/dev/null 2>&1; then
			rm -f "$dir/elasticsearch.stopped"
			log "Elasticsearch is up again on port $es_port (home: $home)"
			return 0
		fi
		sleep 1
	done
	die "Elasticsearch did not become healthy in 180 s; see $logf and $home/logs/"
}

# one_service runs stop or start for one named service.
one_service() {
	local action=$1 name=${2:-} node=${3:-}
	case "$name" in
	postgres | postgresql) name=postgres ;;
	elasticsearch | es) name=elasticsearch ;;
	*) die "usage: $0 $action postgres|elasticsearch [NODE]" ;;
	esac
	if docker_engine && [ -z "${ASSETS_NO_DOCKER:-}" ]; then
		[ -n "$node" ] && name=es$node
		case "$action" in
		stop) docker compose -f "$repo/compose.yaml" stop "$name" >&2 || die "docker compose stop $name failed" ;;
		start) docker compose -f "$repo/compose.yaml" up -d --wait "$name" >&2 || die "docker compose up $name failed" ;;
		esac
		return 0
	fi
	ensure_user
	if [ "$name" = elasticsearch ] && { cluster_mode || [ -n "$node" ]; }; then
		cluster_one "$action" "$node"
		return 0
	fi
	case "$action-$name" in
	stop-postgres) stop_postgres ;;
	start-postgres) start_stopped_postgres ;;
	stop-elasticsearch) stop_elasticsearch ;;
	start-elasticsearch) start_stopped_elasticsearch ;;
	esac
}

case "${1:-up}" in
up)
	if docker_engine && [ -z "${ASSETS_NO_DOCKER:-}" ]; then
		[ "$es_security" = on ] && die "ASSETS_ES_SECURITY=on is made by the local setup only: set ASSETS_NO_DOCKER=1"
		if [ "$es_nodes" -gt 1 ]; then
			# The cluster profile: three nodes on ports 59200-59202, no security.
			docker compose -f "$repo/compose.yaml" --profile cluster up -d --wait postgres es1 es2 es3 >&2 \
				|| die "docker compose up failed"
		else
			docker compose -f "$repo/compose.yaml" up -d --wait postgres elasticsearch >&2 || die "docker compose up failed"
		fi
		database_url="postgres://assets:assets@127.0.0.1:$pg_port/assets?sslmode=disable"
	else
		ensure_user
		start_postgres
		start_elasticsearch
	fi
	print_env
	;;
down)
	if docker_engine && [ -z "${ASSETS_NO_DOCKER:-}" ]; then
		docker compose -f "$repo/compose.yaml" down >&2
	else
		stop_all
	fi
	;;
env) print_env ;;
stop | start) one_service "$1" "${2:-}" "${3:-}" ;;
*) die "usage: $0 up|down|env|stop SERVICE [NODE]|start SERVICE [NODE]" ;;
esac

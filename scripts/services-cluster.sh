# shellcheck shell=bash
# Sourced by scripts/services.sh: an Elasticsearch of ASSETS_ES_NODES nodes
# (HTTP ports ASSETS_ES_PORT.., transport ports ASSETS_ES_PORT+100..), and
# with ASSETS_ES_SECURITY=on TLS, an admin user, the role assets_service and an
# API key of that role only. Each node has its own folder $dir/es-node-N with
# its config (ES_PATH_CONF), data, logs and pid file; all share the unpacked
# distribution. See docs/elasticsearch-security.md.

# The role the service's API key carries; docs/elasticsearch-security.md
# shows the same definition.
es_role_name=assets_service
es_admin_user=assets-admin
# The file-realm user of that role, for when no API key can be created.
es_service_user=assets-service

# cluster_mode: the node-folder layout is used for more than one node or
# with security; one plain node keeps the layout of earlier checkouts.
cluster_mode() { [ "$es_nodes" -gt 1 ] || [ "$es_security" = on ]; }

node_dir() { echo "$dir/es-node-$1"; }
node_http_port() { echo $((es_port + $1 - 1)); }
node_transport_port() { echo $((es_port + 100 + $1 - 1)); }
node_url() { echo "$es_scheme://127.0.0.1:$(node_http_port "$1")"; }
sec_dir() { echo "$dir/es-security"; }

# es_urls prints the HTTP URL of every node, comma-separated, as
# ASSETS_ELASTICSEARCH_URL accepts them.
es_urls() {
	local i out=""
	for i in $(seq 1 "$es_nodes"); do out="$out${out:+,}$(node_url "$i")"; done
	echo "$out"
}

print_security_env() {
	local s
	s=$(sec_dir)
	if [ -s "$s/api-key" ]; then
		printf 'export ASSETS_ELASTICSEARCH_API_KEY=%s\n' "$(cat "$s/api-key")"
	elif [ -s "$s/service-password" ]; then
		printf 'export ASSETS_ELASTICSEARCH_USERNAME=%s\n' "$es_service_user"
		printf 'export ASSETS_ELASTICSEARCH_PASSWORD=%s\n' "$(cat "$s/service-password")"
	fi
	printf 'export ASSETS_ELASTICSEARCH_CA_CERT=%s\n' "$s/ca/ca.crt"
}

# es_curl asks node $1 (path $2, further curl arguments after) as the admin.
es_curl() {
	local n=$1 path=$2
	shift 2
	if [ "$es_security" = on ]; then
		curl -fsS -m 10 --cacert "$(sec_dir)/ca/ca.crt" -u "$es_admin_user:$(cat "$(sec_dir)/admin-password")" \
			"$(node_url "$n")$path" "$@"
	else
		curl -fsS -m 10 "$(node_url "$n")$path" "$@"
	fi
}

node_up() { es_curl "$1" /_cluster/health >/dev/null 2>&1; }

# es_unpack fetches and unpacks the distribution once and prints its folder.
es_unpack() {
	local v home
	v=$(fetch_elasticsearch)
	home=$dir/elasticsearch-$v
	if [ ! -x "$home/bin/elasticsearch" ]; then
		log "unpacking Elasticsearch $v into $home"
		command -v unzip >/dev/null || { apt-get update -qq >/dev/null && apt-get install -y -qq unzip >/dev/null; } \
			|| die "unzip is needed and could not be installed"
		unzip -q -o "$dir/cache/elasticsearch-$v.zip" -d "$dir" || die "could not unpack $dir/cache/elasticsearch-$v.zip"
		chown -R "$svc_user" "$home" 2>/dev/null || true
	fi
	echo "$home"
}

# ensure_certs generates a CA and one certificate for 127.0.0.1/localhost,
# which every node uses (they all listen on loopback), once.
ensure_certs() {
	local home=$1 jh s
	s=$(sec_dir)
	[ -s "$s/node/node.crt" ] && return 0
	jh=$(java_home) || die "no JDK 17 or 21+ found under /usr/lib/jvm; set ES_JAVA_HOME"
	mkdir -p "$s"
	chmod 700 "$s"
	log "generating a CA and a node certificate in $s"
	ES_JAVA_HOME="$jh" "$home/bin/elasticsearch-certutil" ca --silent --pem --days 3650 --out "$s/ca.zip" >"$s/certutil.log" 2>&1 \
		|| die "elasticsearch-certutil ca failed; see $s/certutil.log"
	unzip -q -o "$s/ca.zip" -d "$s" || die "could not unpack $s/ca.zip"
	ES_JAVA_HOME="$jh" "$home/bin/elasticsearch-certutil" cert --silent --pem --days 3650 --name node \
		--ca-cert "$s/ca/ca.crt" --ca-key "$s/ca/ca.key" --ip 127.0.0.1 --dns localhost \
		--out "$s/node.zip" >>"$s/certutil.log" 2>&1 || die "elasticsearch-certutil cert failed; see $s/certutil.log"
	unzip -q -o "$s/node.zip" -d "$s" || die "could not unpack $s/node.zip"
	chmod 644 "$s/ca/ca.crt"
	[ -s "$s/admin-password" ] || (umask 077 && openssl rand -hex 18 >"$s/admin-password")
}

# node_config writes node $1's elasticsearch.yml (replaced on every start, so a
# changed ASSETS_ES_NODES or port takes effect) into its own config folder.
node_config() {
	local i=$1 home=$2 nd conf seeds="" masters="" j
	nd=$(node_dir "$i")
	conf=$nd/config
	mkdir -p "$conf" "$nd/data" "$nd/logs"
	[ -s "$conf/jvm.options" ] || cp -r "$home/config/." "$conf/"
	for j in $(seq 1 "$es_nodes"); do
		seeds="$seeds${seeds:+, }\"127.0.0.1:$(node_transport_port "$j")\""
		masters="$masters${masters:+, }\"assets-node-$j\""
	done
	{
		cat <<CONF
cluster.name: assets-dev
node.name: assets-node-$i
path.data: $nd/data
path.logs: $nd/logs
network.host: 127.0.0.1
http.port: $(node_http_port "$i")
transport.port: $(node_transport_port "$i")
cluster.routing.allocation.disk.threshold_enabled: false
action.destructive_requires_name: false
# Indexes are created with their mapping, never by a write.
action.auto_create_index: false
CONF
		if [ "$es_nodes" -gt 1 ]; then
			printf 'discovery.seed_hosts: [%s]\ncluster.initial_master_nodes: [%s]\n' "$seeds" "$masters"
		else
			echo "discovery.type: single-node"
		fi
		if [ "$es_security" = on ]; then
			node_security_config
		else
			echo "xpack.security.enabled: false"
		fi
	} >"$conf/elasticsearch.yml"
	if [ "$es_security" = on ]; then
		mkdir -p "$conf/certs"
		cp "$(sec_dir)/ca/ca.crt" "$(sec_dir)/node/node.crt" "$(sec_dir)/node/node.key" "$conf/certs/"
	fi
	chown -R "$svc_user" "$nd" 2>/dev/null || true
}

# node_security_config: certificate paths are relative to the config folder,
# the only place 8.19's entitlements let the node read them from.
node_security_config() {
	local layer
	echo "xpack.security.enabled: true"
	for layer in http transport; do
		cat <<CONF
xpack.security.$layer.ssl.enabled: true
xpack.security.$layer.ssl.key: certs/node.key
xpack.security.$layer.ssl.certificate: certs/node.crt
xpack.security.$layer.ssl.certificate_authorities: [certs/ca.crt]
CONF
	done
	echo "xpack.security.transport.ssl.verification_mode: certificate"
}

# role_index_names prints the role's index names as a JSON list body:
# ASSETS_ES_ROLE_INDICES (comma-separated; e.g. adding test_* for the test
# suites) or the prefix and prefix-*.
role_index_names() {
	local n names=""
	for n in $(printf '%s' "${ASSETS_ES_ROLE_INDICES:-$index_prefix,$index_prefix-*}" | tr ',' ' '); do
		names="$names${names:+, }\"$n\""
	done
	echo "$names"
}

# role_json is the role assets_service: docs/elasticsearch-security.md.
role_json() {
	printf '{"cluster":["monitor"],"indices":[{"names":[%s],"privileges":["manage","read","write"]}]}' "$(role_index_names)"
}

# ensure_users writes the role to node $1's file roles (the file realm works
# without the .security index) and adds the admin and the service user.
ensure_users() {
	local i=$1 home=$2 conf jh s u
	conf=$(node_dir "$i")/config
	s=$(sec_dir)
	printf '%s:\n  cluster: [monitor]\n  indices:\n    - names: [%s]\n      privileges: [manage, read, write]\n' \
		"$es_role_name" "$(role_index_names)" >"$conf/roles.yml"
	[ -s "$s/service-password" ] || (umask 077 && openssl rand -hex 18 >"$s/service-password")
	jh=$(java_home) || die "no JDK 17 or 21+ found under /usr/lib/jvm; set ES_JAVA_HOME"
	for u in "$es_admin_user:admin-password:superuser" "$es_service_user:service-password:$es_role_name"; do
		grep -q "^${u%%:*}:" "$conf/users" 2>/dev/null && continue
		ES_JAVA_HOME="$jh" ES_PATH_CONF="$conf" "$home/bin/elasticsearch-users" useradd "${u%%:*}" \
			-p "$(cat "$s/$(echo "$u" | cut -d: -f2)")" -r "${u##*:}" >/dev/null \
			|| die "elasticsearch-users useradd ${u%%:*} failed for node $i"
	done
	chown -R "$svc_user" "$conf" 2>/dev/null || true
}

start_node() {
	local i=$1 home=$2 nd jh
	nd=$(node_dir "$i")
	if [ -n "$(listener_pid "$(node_http_port "$i")")" ]; then
		log "node $i already listens on port $(node_http_port "$i")"
		return 0
	fi
	[ "$es_security" = on ] && ensure_certs "$home"
	node_config "$i" "$home"
	[ "$es_security" = on ] && ensure_users "$i" "$home"
	jh=$(java_home) || die "no JDK 17 or 21+ found under /usr/lib/jvm; set ES_JAVA_HOME"
	touch "$nd/elasticsearch.log" && chown "$svc_user" "$nd/elasticsearch.log" 2>/dev/null || true
	as_user env ES_JAVA_HOME="$jh" ES_PATH_CONF="$nd/config" ES_JAVA_OPTS="-Xms$es_heap -Xmx$es_heap" \
		"$home/bin/elasticsearch" -d -p "$nd/es.pid" >"$nd/elasticsearch.log" 2>&1 \
		|| die "Elasticsearch node $i did not start; see $nd/elasticsearch.log and $nd/logs/"
	log "started Elasticsearch node $i (HTTP port $(node_http_port "$i"), heap $es_heap)"
}

# wait_node waits until node $1 answers and the cluster is at least yellow.
wait_node() {
	local i=$1 t
	for t in $(seq 1 180); do
		es_curl "$i" "/_cluster/health?wait_for_status=yellow&timeout=1s" >/dev/null 2>&1 && return 0
		sleep 1
	done
	die "Elasticsearch node $i did not become healthy in 180 s; see $(node_dir "$i")/logs/"
}

stop_node() {
	local i=$1 nd pid t
	nd=$(node_dir "$i")
	pid=$(cat "$nd/es.pid" 2>/dev/null || true)
	[ -n "$pid" ] || pid=$(listener_pid "$(node_http_port "$i")")
	if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
		log "Elasticsearch node $i is not running"
		rm -f "$nd/es.pid"
		return 0
	fi
	kill "$pid" 2>/dev/null || true
	for t in $(seq 1 120); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.5
	done
	kill -0 "$pid" 2>/dev/null && { log "node $i (pid $pid) did not stop in 60 s; killing it"; kill -9 "$pid" 2>/dev/null || true; }
	rm -f "$nd/es.pid"
	log "Elasticsearch node $i stopped (pid $pid)"
}

# ensure_service_key creates an API key carrying only the role, once; a key
# that no longer authenticates is replaced. API keys live in the .security
# index, which a distribution without the analysis-common module (the
# integ-test-zip) cannot create: then the service uses the file-realm user
# assets-service, which has the same role.
ensure_service_key() {
	local s
	s=$(sec_dir)
	if [ -s "$s/api-key" ] && curl -fsS -m 10 --cacert "$s/ca/ca.crt" -H "Authorization: ApiKey $(cat "$s/api-key")" \
		"$(node_url 1)/_security/_authenticate" >/dev/null 2>&1; then
		return 0
	fi
	rm -f "$s/api-key"
	es_curl 1 /_security/api_key -X POST -H 'Content-Type: application/json' \
		-d "{\"name\":\"assets-service\",\"role_descriptors\":{\"$es_role_name\":$(role_json)}}" 2>/dev/null \
		| sed -n 's/.*"encoded":"\([^"]*\)".*/\1/p' | (umask 077 && cat >"$s/api-key.new") || true
	if [ -s "$s/api-key.new" ]; then
		mv "$s/api-key.new" "$s/api-key"
		log "created an API key of the role $es_role_name only ($s/api-key)"
	else
		rm -f "$s/api-key.new"
		log "this distribution cannot store API keys (no .security index); the service uses the user $es_service_user (role $es_role_name)"
	fi
}

# start_cluster starts every node that is not running and waits for all.
start_cluster() {
	local home i
	home=$(es_unpack)
	[ "$es_security" = on ] && ensure_certs "$home"
	# In parallel: a node's start waits for a master, which needs the others.
	local pids=()
	for i in $(seq 1 "$es_nodes"); do
		start_node "$i" "$home" &
		pids+=("$!")
	done
	for i in "${pids[@]}"; do wait "$i" || die "an Elasticsearch node did not start; see $dir/es-node-*/logs/"; done
	for i in $(seq 1 "$es_nodes"); do wait_node "$i"; done
	[ "$es_security" = on ] && ensure_service_key
	log "Elasticsearch is up: $(es_urls) (folders: $dir/es-node-*)"
}

# cluster_one stops or starts node $2 alone, or every node without $2.
cluster_one() {
	local action=$1 node=${2:-} home i
	if [ -n "$node" ]; then
		case "$node" in *[!0-9]* | 0) die "node $node: want 1..$es_nodes" ;; esac
		[ "$node" -le "$es_nodes" ] || die "node $node: want 1..$es_nodes (ASSETS_ES_NODES=$es_nodes)"
	fi
	case "$action" in
	stop)
		for i in $(seq 1 "$es_nodes"); do
			if [ -z "$node" ] || [ "$node" = "$i" ]; then stop_node "$i"; fi
		done
		;;
	start)
		[ -z "$node" ] && { start_cluster; return 0; }
		home=$(es_unpack)
		start_node "$node" "$home"
		wait_node "$node"
		;;
	esac
	return 0
}

#!/usr/bin/env bash
# Runs the fault drills of `make drills`: installs schemathesis (from PyPI,
# with pip) into a git-ignored virtualenv under the services folder, then runs
# `bin/assets-lab drills` against the services the environment names
# (ASSETS_DATABASE_URL is only the admin connection: the drills create their
# own database), with bin/assets as the binary under drill. Extra arguments
# go to `assets-lab drills`, e.g.
#   scripts/drills.sh --only kill-worker,tenant-isolation
# The es-outage and pg-restart drills stop and start the services through
# scripts/services.sh, which interrupts every other user of them.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=${ASSETS_SERVICES_DIR:-$repo/.services}
venv=$dir/venv
version=${ASSETS_SCHEMATHESIS_VERSION:-4.32.5}
python=${PYTHON:-python3}

log() { printf 'drills: %s\n' "$*" >&2; }
die() { printf 'drills: error: %s\n' "$*" >&2; exit 1; }

[ -n "${ASSETS_DATABASE_URL:-}" ] && [ -n "${ASSETS_ELASTICSEARCH_URL:-}" ] \
	|| die 'set ASSETS_DATABASE_URL and ASSETS_ELASTICSEARCH_URL: eval "$(scripts/services.sh env)"'
[ -x "$repo/bin/assets" ] && [ -x "$repo/bin/assets-lab" ] \
	|| die "bin/assets or bin/assets-lab is missing: run make lab"

# install_schemathesis puts schemathesis==$version into the virtualenv.
install_schemathesis() {
	command -v "$python" >/dev/null || { log "$python is needed to install schemathesis"; return 1; }
	if [ ! -x "$venv/bin/pip" ]; then
		log "creating a virtualenv in $venv"
		mkdir -p "$dir"
		"$python" -m venv "$venv" || { log "could not create a virtualenv (on Debian: apt-get install python3-venv)"; return 1; }
	fi
	log "installing schemathesis $version into $venv"
	"$venv/bin/pip" install -q --disable-pip-version-check "schemathesis==$version"
}

fuzzer=$venv/bin/schemathesis
if ! "$fuzzer" --version 2>/dev/null | grep -q "version $version\$" && ! install_schemathesis; then
	# The other drills still run; the schemathesis drill fails, saying why.
	log "warning: schemathesis $version could not be installed"
	fuzzer=
fi

# A secured cluster's role assets_service covers only the prefix's indexes
# (assets, assets-*; docs/elasticsearch-security.md): the drills' own index
# then lives below that prefix, unless the arguments name one.
index_args=()
if [ "${ASSETS_ES_SECURITY:-off}" = on ] && [[ " $* " != *" --index"* ]]; then
	index_args=(--index "${ASSETS_INDEX:-assets}-drills")
fi

exec "$repo/bin/assets-lab" drills \
	--bin "$repo/bin/assets" \
	--schemathesis "$fuzzer" \
	--services-script "$repo/scripts/services.sh" \
	--work-dir "$dir/drills" \
	"${index_args[@]}" \
	"$@"

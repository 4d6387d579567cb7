#!/bin/sh
# Imports peregrine.ndjson (index pattern, saved search, visualizations, the Peregrine dashboard) into
# OpenSearch Dashboards and makes `peregrine-*` the default index pattern. Run by the compose job
# `dashboards-init` once Dashboards is healthy; idempotent (overwrite=true), so every `up` re-applies it.
set -eu
url=${DASHBOARDS_URL:-http://127.0.0.1:5601}
file=${SAVED_OBJECTS:-/provision/peregrine.ndjson}
deadline=$(( $(date +%s) + ${IMPORT_TIMEOUT_S:-300} ))

# Dashboards answers /api/status before its saved-objects service accepts imports; retry until the deadline.
while :; do
  if resp=$(curl -sS --max-time 30 -X POST "$url/api/saved_objects/_import?overwrite=true" \
              -H 'osd-xsrf: true' --form "file=@$file" 2>&1); then
    case $resp in *'"success":true'*) break ;; esac
  fi
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "dashboards-init: import into $url failed: $resp" >&2
    exit 1
  fi
  sleep 2
done
echo "dashboards-init: imported $file: $resp"

curl -fsS --max-time 30 -X POST "$url/api/opensearch-dashboards/settings" -H 'osd-xsrf: true' \
  -H 'Content-Type: application/json' -d '{"changes":{"defaultIndex":"peregrine-alerts"}}' >/dev/null
echo "dashboards-init: default index pattern peregrine-* (id peregrine-alerts)"
touch /tmp/imported

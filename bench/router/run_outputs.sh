#!/usr/bin/env bash
# The router outputs benchmark (docs/performance.md, "Router outputs"): the router's ceiling into a local _bulk
# sink, intake-to-sink latency at 1,000 alerts/s, and a real OpenSearch node fed by the router against the same
# node fed by a plain `curl --data-binary @bulk.ndjson` loop of the same batch size.
#   bench/router/run_outputs.sh [BUILD_DIR] [ALERTS]
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
N=${2:-200000}
B=$BUILD/bench/router/peregrine-bench-router-outputs
[[ -x $B ]] || { echo "build it first: cmake --build $BUILD --target peregrine-bench-router-outputs" >&2; exit 1; }

echo "== local _bulk sink (the router's own ceiling), fsync: batch, 3 runs"
for i in 1 2 3; do "$B" --mode throughput --alerts "$N" | grep -E "throughput|router CPU|RSS"; done
echo "== latency at 1,000 alerts/s for 10 s (sink), 2 runs"
for i in 1 2; do "$B" --mode latency --rate 1000 --seconds 10 | grep -E "latency|RSS"; done

echo "== real OpenSearch node (scripts/receivers.sh), batches of 1000"
bash scripts/receivers.sh build opensearch >/dev/null
W=$(mktemp -d /tmp/peregrine-bench-os.XXXXXX)
trap 'kill -TERM $OS_PID 2>/dev/null; wait $OS_PID 2>/dev/null; rm -rf "$W"' EXIT
bash scripts/receivers.sh run opensearch --dir "$W/os" --port-file "$W/os.ports" >"$W/os.log" 2>&1 &
OS_PID=$!
for _ in $(seq 600); do [[ -s $W/os.ports ]] && break; sleep 0.2; done
PORT=$(sed -n 's/^http=//p' "$W/os.ports")
URL=http://127.0.0.1:$PORT
# The same documents the router writes (flattened output_fields), 1000 per file, unique _id per document.
FILES=60
python3 - "$W" "$FILES" <<'PY'
import json, sys, uuid
w, files = sys.argv[1], int(sys.argv[2])
doc = {"@timestamp": "2025-12-05T00:00:00.000000001Z", "hostname": "node-1",
       "output": "File below a known binary directory opened for writing (user=root command=cp /tmp/x /bin/x "
                 "file=/bin/x parent=bash gparent=sshd container_id=host image=<NA>)",
       "output_fields": {"container_id": "host", "evt_time": "1764390000", "fd_name": "/bin/x",
                         "proc_cmdline": "cp /tmp/x /bin/x", "proc_pname": "bash", "user_name": "root"},
       "priority": "Error", "rule": "Write below binary dir", "source": "syscall",
       "tags": ["filesystem", "mitre_persistence"], "time": "2025-12-05T00:00:00.000000001Z"}
for f in range(files):
    with open(f"{w}/bulk-{f}.ndjson", "w") as out:
        for i in range(1000):
            u = str(uuid.uuid4())
            out.write(json.dumps({"create": {"_id": u, "_index": "curl-2025.12.05"}}, separators=(",", ":")) + "\n")
            out.write(json.dumps(dict(doc, uuid=u), separators=(",", ":")) + "\n")
PY
curl -s -XPUT "$URL/_index_template/curl" -H 'Content-Type: application/json' \
  -d '{"index_patterns":["curl-*"],"template":{"settings":{"number_of_shards":1,"number_of_replicas":0}}}' >/dev/null
start=$(date +%s.%N)
for f in $(seq 0 $((FILES - 1))); do
  curl -s -o /dev/null -H 'Content-Type: application/x-ndjson' --data-binary "@$W/bulk-$f.ndjson" "$URL/_bulk"
done
end=$(date +%s.%N)
python3 -c "print(f'curl loop: {$FILES * 1000} documents in {$end - $start:.2f} s = {$FILES * 1000 / ($end - $start):.0f} docs/s')"
"$B" --mode throughput --alerts $((FILES * 1000)) --url "$URL" --batch 1000 --linger-ms 20 --concurrency 1 | grep -E "throughput|router CPU"
"$B" --mode throughput --alerts $((FILES * 1000)) --url "$URL" --batch 1000 --linger-ms 20 --concurrency 2 | grep -E "throughput|router CPU"

#!/usr/bin/env bash
# Calls a running botlens HTTP service with curl. This script starts nothing itself: first, in another terminal,
#
#   npx botlens serve                        # the heuristic detector on http://127.0.0.1:8080
#   npx botlens serve --config botlens.config.json --port 9000   # or your own ensemble and port
#
# then
#
#   bash examples/call-service.sh                                   # talks to http://127.0.0.1:8080
#   BOTLENS_URL=http://127.0.0.1:9000 bash examples/call-service.sh # another address
#
# When the server requires an API key (it reads BOTLENS_API_KEY, or the variable named by server.apiKeyEnv in
# the config), export the same BOTLENS_API_KEY here and it is sent as "Authorization: Bearer <key>".
set -euo pipefail

url="${BOTLENS_URL:-http://127.0.0.1:8080}"
here="$(cd "$(dirname "$0")" && pwd)"
auth=()
if [[ -n "${BOTLENS_API_KEY:-}" ]]; then auth=(-H "Authorization: Bearer ${BOTLENS_API_KEY}"); fi

echo "== GET /healthz"
# Liveness: 200 as soon as the process is up. /readyz answers 503 until the models are loaded and warm.
curl -fsS "$url/healthz"
echo

echo "== POST /v1/detect"
# One transcript: { messages: [{ speaker, text, timestamp? }], target?, profile? }. The answer is the
# ensemble's detection: score (P(bot) or null), label, evidence, members, explanation.
curl -fsS ${auth[@]+"${auth[@]}"} -H 'content-type: application/json' \
  --data-binary "@$here/transcript.json" "$url/v1/detect"
echo

echo "== POST /v1/detect/batch"
# Up to 32 transcripts at once (server.maxBatch): { "transcripts": [ ... ] } -> { "results": [ ... ] }.
printf '{"transcripts":[%s]}' "$(cat "$here/transcript.json")" |
  curl -fsS ${auth[@]+"${auth[@]}"} -H 'content-type: application/json' --data-binary @- "$url/v1/detect/batch"
echo

echo "== POST /v1/detect with a bad transcript (expect HTTP 400)"
# Invalid input is answered 400 with every problem found: { error, message, issues: [{ path, message }] }.
curl -sS ${auth[@]+"${auth[@]}"} -H 'content-type: application/json' \
  --data-binary '{"messages":[{"speaker":"a","text":"hi"},{"speaker":"b","text":"hello"}]}' \
  -w '\nHTTP %{http_code}\n' "$url/v1/detect"

echo "== GET /metrics (botlens_requests_total)"
# Prometheus text format: request counts and latency by route, time per detector, errors, queue depth.
curl -fsS ${auth[@]+"${auth[@]}"} "$url/metrics" | grep '^botlens_requests_total'

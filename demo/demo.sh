#!/usr/bin/env bash
# make demo: one night of zone upgrades on a simulated host, in seconds.
#
# A zonesim world with a fleet of zones (the seed's troubles: odd publishers,
# releases too old, stale images, conflicting packages, broken images), the
# real zoneupd on it, every zone queued with the real zoneupadm (destructive
# rungs allowed for some zones only), live progress, then the morning
# report and a check of every outcome against what the simulator says its
# troubles allow.
set -euo pipefail
bin=${1:-bin}
bin=$(cd "$bin" && pwd)
fleet=${DEMO_FLEET:-20}
seed=${DEMO_SEED:-7}
speed=${DEMO_SPEED:-2000}

work=$(mktemp -d "${TMPDIR:-/tmp}/zoneup-demo.XXXXXX")
daemon=
cleanup() {
  [ -n "$daemon" ] && kill "$daemon" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

world=$work/world sock=$work/run/zoneupd.sock db=$work/var/zoneup.db
# Bold headings on a terminal only: a log file or a pipe gets plain text.
if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold= plain=; fi
say() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }

say "A simulated Solaris 11 Express host with $fleet OpenSolaris zones (seed $seed)"
"$bin/zonesim" init --world "$world" --profile s11e --fleet "$fleet" --seed "$seed" >/dev/null
"$bin/zonesim" tools --bin "$work/tools" >/dev/null
export ZONESIM_WORLD=$world ZONESIM_SPEED=$speed PATH=$work/tools:$PATH
"$bin/zonesim" show --world "$world"
"$bin/zonesim" show --world "$world" --json >"$work/before.json"

say "zoneupd starts (window always, concurrency 4; remove-conflicts allowed for all)"
"$bin/zoneupd" --db-path "$db" --socket-path "$sock" --window always --concurrency 4 \
  --allow remove-conflicts --stage-timeout 30s --verify-timeout 20s --retry-backoff 50ms \
  2>"$work/zoneupd.log" &
daemon=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
adm() { "$bin/zoneupadm" --socket "$sock" "$@"; }

zones=$(zoneadm list -cp | awk -F: '$2 != "global" { print $2 }')
n=0 with=() without=()
for z in $zones; do
  if [ $((n % 2)) -eq 0 ]; then with+=("$z"); else without+=("$z"); fi
  n=$((n + 1))
done
say "zoneupadm enqueue: half the zones may have their image re-created (--allow recreate-image)"
adm enqueue --allow recreate-image "${with[@]}"
adm enqueue "${without[@]}"

start=$(date +%s)
first=${without[0]}
say "The attach log of $first as the brand writes it (zoneupadm log -f $first, first lines)"
adm log -f "$first" 2>/dev/null | grep -m 8 'attach-log' || true

say "The night, live (one line a second: what is running, and where)"
while :; do
  rc=0; adm wait --timeout 1s >/dev/null 2>&1 || rc=$?
  adm list -p -o zone,state,result | awk -F: -v t="$(( $(date +%s) - start ))" '
    $3 != ""         { done++; next }
    $2 == "queued"   { q++; next }
                     { run = run " " $1 "(" $2 ")" }
    END { printf "  [%3ds] %2d finished, %2d queued, running:%s\n", t, done, q, run }'
  [ $rc -eq 2 ] || break
done
echo
adm list

say "The morning report (zoneupadm report: the night's jobs, each zone once, what to do next)"
adm report

say "Checking every outcome against the simulator's expectations"
adm report --all --json >"$work/report.json"
"$bin/zonesim" expect --state "$work/before.json" --report "$work/report.json" --allow remove-conflicts \
  --allow-zones recreate-image="$(IFS=,; echo "${with[*]}")"

adm shutdown --wait
daemon=
say "Done in $(( $(date +%s) - start ))s"

#!/bin/bash
#
# operator.sh -- one night of zone upgrades, the way an experienced
# administrator does it by hand: one zone after the other, snapshot first,
# detach, attach -u, and when that fails the rescue ladder of MISSION.md,
# rung by rung, each followed by another attach -u. A zone nothing saves is
# rolled back to its snapshot and left detached.
#
# It is the baseline zoneup is measured against: the same tools, called
# plainly, no parallelism, no cleverness beyond what a careful admin types.
#
# usage: operator.sh [--allow RUNG[,RUNG]] [--attach-timeout SECONDS]
#                    [--report FILE] [ZONE...]
#
#   --allow            destructive rungs this night may use: remove-conflicts,
#                      recreate-image (default: none)
#   --attach-timeout   give up on an attach -u after this long (default 3600;
#                      divided by ZONESIM_SPEED when that is set, as zonesim
#                      divides every duration)
#   --report FILE      also write the results as {"jobs": [{zone, result,
#                      rung}]}, the part of zoneupadm report --json that
#                      zonesim expect --report reads
#   ZONE...            these zones only (default: every zone but global)
#
# At the end it prints, on stdout:
#
#   operator-zone: ZONE RESULT RUNG        one per zone, RESULT upgraded,
#                                          rolled-back, blocked or failed,
#                                          RUNG the rung that saved it or -
#   operator: zones N rescued R rolled_back B failed F seconds S
#
# Progress goes to stderr, every command and its output to a log per zone
# in $OPERATOR_LOGDIR (default: a new /var/tmp/operator.XXXXXX).

set -u
export LC_ALL=C
unset PKG_IMAGE

ALLOW=""
ATTACH_TIMEOUT=3600
REPORT=""
ZONES=()
while [ $# -gt 0 ]; do
	case "$1" in
	--allow) ALLOW="${2:-}"; shift 2 ;;
	--allow=*) ALLOW="${1#--allow=}"; shift ;;
	--attach-timeout) ATTACH_TIMEOUT="${2:-}"; shift 2 ;;
	--report) REPORT="${2:-}"; shift 2 ;;
	-h | --help) sed -n '2,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
	-*) echo "operator.sh: unknown option $1" >&2; exit 2 ;;
	*) ZONES+=("$1"); shift ;;
	esac
done
for r in ${ALLOW//,/ }; do
	case "$r" in
	remove-conflicts | recreate-image) ;;
	*) echo "operator.sh: --allow: $r is not a destructive rung (remove-conflicts, recreate-image)" >&2; exit 2 ;;
	esac
done

# What the night may do, and where it writes.
allowed() { [[ ",$ALLOW," == *",$1,"* ]]; }
CONFLICTS='*apch* *apache* *php* *postgr* *sunstudio* ss-dev*'
RESTORE_PATHS='etc/passwd etc/shadow etc/group etc/user_attr etc/hosts etc/inet/hosts etc/nodename
etc/resolv.conf etc/nsswitch.conf etc/default/init etc/ssh var/spool/cron/crontabs'
STEP_VERSION=0.5.11-0.134                      # the last OpenSolaris build attach -u can jump from
STEP_ORIGIN=http://pkg.opensolaris.org/release/
STEP_PUBLISHER=opensolaris.org
LOGDIR="${OPERATOR_LOGDIR:-$(mktemp -d "${TMPDIR:-/var/tmp}/operator.XXXXXX")}"
mkdir -p "$LOGDIR"
T0=$(date +%s.%N)

# On zonesim every wait is scaled like the simulated host's durations.
scaled() { awk -v s="$1" -v k="${ZONESIM_SPEED:-1}" 'BEGIN { if (k <= 0) k = 1; printf "%.3f", s / k }'; }
pause() { sleep "$(scaled "$1")"; }

say() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# run CMD...: the command goes to the zone's log with its output; stdout is
# kept in OUT, stderr in ERR, the exit code is returned.
ZLOG="$LOGDIR/night.log"
OUT="" ERR=""
run() {
	local rc
	printf '+ %s\n' "$*" >>"$ZLOG"
	OUT=$("$@" 2>"$LOGDIR/.err")
	rc=$?
	ERR=$(cat "$LOGDIR/.err")
	[ -n "$OUT" ] && printf '%s\n' "$OUT" >>"$ZLOG"
	[ -n "$ERR" ] && printf '%s\n' "$ERR" >>"$ZLOG"
	[ $rc -ne 0 ] && printf '  [exit %d]\n' $rc >>"$ZLOG"
	return $rc
}

# pkg refuses an image another client holds (exit 7): wait and try again.
zpkg() {
	local i rc
	for i in 1 2 3 4; do
		run pkg "$@"
		rc=$?
		[ $rc -ne 7 ] && return $rc
		say "$Z: image locked by another pkg client, waiting"
		pause 30
	done
	return $rc
}

# ---------------------------------------------------------------------------
# The global zone's publishers: written down once, before anything changes,
# stripped to the first one for the zones that need it, put back exactly
# (origins, mirrors, enabled, sticky, keys, proxy, properties, order).

GZ_NAMES=()
declare -A GZ_STICKY GZ_ENABLED GZ_ORIGINS GZ_MIRRORS GZ_KEY GZ_CERT GZ_PROXY GZ_PROPS
GZ_DETAIL=""    # pkg publisher NAME... as it was, for the check after a restore
GZ_TSV=""
STRIPPED=0

gz_read() {     # prints the tsv, then the detail blocks, of the live list
	local names
	run pkg -R / publisher -H -F tsv || return 1
	GZ_LIVE_TSV=$OUT
	names=$(printf '%s\n' "$OUT" | awk -F'\t' 'NF && !seen[$1]++ { print $1 }')
	run pkg -R / publisher $names || return 1
	# The client UUID and catalog date are the client's, not the setup.
	GZ_LIVE_DETAIL=$(printf '%s\n' "$OUT" | grep -v -e 'Client UUID:' -e 'Catalog Updated:')
}

gz_record() {
	local n block
	gz_read || return 1
	GZ_TSV=$GZ_LIVE_TSV GZ_DETAIL=$GZ_LIVE_DETAIL
	mapfile -t GZ_NAMES < <(printf '%s\n' "$GZ_TSV" | awk -F'\t' 'NF && !seen[$1]++ { print $1 }')
	for n in "${GZ_NAMES[@]}"; do
		GZ_STICKY[$n]=$(printf '%s\n' "$GZ_TSV" | awk -F'\t' -v n="$n" '$1 == n { print $2; exit }')
		# This publisher's block of pkg publisher NAME...
		block=$(printf '%s\n' "$GZ_DETAIL" | awk -v n="$n" '
			/^ *Publisher: / { on = ($2 == n) } on')
		GZ_ORIGINS[$n]=$(printf '%s\n' "$block" | sed -n 's/^ *Origin URI: //p')
		GZ_MIRRORS[$n]=$(printf '%s\n' "$block" | sed -n 's/^ *Mirror URI: //p')
		GZ_PROXY[$n]=$(printf '%s\n' "$block" | sed -n 's/^ *Proxy: //p' | head -1)
		GZ_KEY[$n]=$(printf '%s\n' "$block" | sed -n 's/^ *SSL Key: //p' | head -1)
		GZ_CERT[$n]=$(printf '%s\n' "$block" | sed -n 's/^ *SSL Cert: //p' | head -1)
		# "Enabled:" (S11E, OI) or "Publisher enabled:" (OmniOS); never
		# guess it from the tsv, whose ENABLED follows the origin on OI.
		GZ_ENABLED[$n]=$(printf '%s\n' "$block" | sed -n 's/^ *\(Publisher enabled\|Enabled\): //p' | head -1)
		GZ_PROPS[$n]=$(printf '%s\n' "$block" | awk '/^ *Properties:/ { p = 1; next } p && / = / { sub(/^ +/, ""); print }')
		case "${GZ_ENABLED[$n]}" in
		Yes | No) ;;
		*) say "global zone: cannot tell whether publisher $n is enabled"; return 1 ;;
		esac
	done
	say "global zone publishers: ${GZ_NAMES[*]}"
}

gz_strip() {
	[ "$STRIPPED" = 1 ] && return 0
	[ ${#GZ_NAMES[@]} -le 1 ] && return 1
	say "$Z: global zone down to ${GZ_NAMES[0]} (was: ${GZ_NAMES[*]})"
	STRIPPED=1     # before the change: a half-done strip is restored too
	zpkg -R / unset-publisher "${GZ_NAMES[@]:1}"
}

gz_restore() {
	local n live i o m p args prev
	[ "$STRIPPED" = 1 ] || return 0
	run pkg -R / publisher -H -F tsv
	live=$(printf '%s\n' "$OUT" | awk -F'\t' 'NF && !seen[$1]++ { print $1 }')
	for n in "${GZ_NAMES[@]}"; do
		grep -qxF -- "$n" <<<"$live" && continue
		# Re-added one after the other, each goes last: the order comes back.
		args=(--no-refresh)
		while read -r o; do [ -n "$o" ] && args+=(-g "$o"); done <<<"${GZ_ORIGINS[$n]}"
		while read -r m; do [ -n "$m" ] && args+=(-m "$m"); done <<<"${GZ_MIRRORS[$n]}"
		[ "${GZ_ENABLED[$n]}" = Yes ] && args+=(--enable) || args+=(--disable)
		[ "${GZ_STICKY[$n]}" = true ] && args+=(--sticky) || args+=(--non-sticky)
		[ -n "${GZ_KEY[$n]}" ] && [ "${GZ_KEY[$n]}" != None ] && args+=(-k "${GZ_KEY[$n]}")
		[ -n "${GZ_CERT[$n]}" ] && [ "${GZ_CERT[$n]}" != None ] && args+=(-c "${GZ_CERT[$n]}")
		[ -n "${GZ_PROXY[$n]}" ] && args+=(--proxy "${GZ_PROXY[$n]}")
		while read -r p; do
			[ -n "$p" ] && args+=(--set-property "${p%% = *}=${p#* = }")
		done <<<"${GZ_PROPS[$n]}"
		zpkg -R / set-publisher "${args[@]}" "$n" || say "global zone: could not restore publisher $n"
	done
	# Check, and put the order right if the client placed one elsewhere.
	gz_read
	if [ "$(printf '%s\n' "$GZ_LIVE_TSV" | awk -F'\t' 'NF && !seen[$1]++ { print $1 }')" != "$(printf '%s\n' "${GZ_NAMES[@]}")" ]; then
		for ((i = 1; i < ${#GZ_NAMES[@]}; i++)); do
			zpkg -R / set-publisher --no-refresh --search-after="${GZ_NAMES[i - 1]}" "${GZ_NAMES[i]}"
		done
		gz_read
	fi
	if [ "$GZ_LIVE_TSV" = "$GZ_TSV" ] && [ "$GZ_LIVE_DETAIL" = "$GZ_DETAIL" ]; then
		say "global zone publishers restored"
		STRIPPED=0
		return 0
	fi
	say "WARNING: the global zone's publishers differ from the record; see $ZLOG"
	echo "operator-warning: global zone publishers differ from the record"
	return 1
}

# Whatever happens to this script, the global zone gets its publishers back.
trap 'ZLOG="$LOGDIR/night.log"; gz_restore' EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------
# One zone.

Z="" ZP="" ROOT="" DS="" ZBE="" SNAP="" LASTLOG="" SAVED="" HOPELESS=0

# ensure_mounted: the zone root must be a mounted image for pkg -R: after
# a failed attach -u the brand's trap remounts the zone BE, but a sparse
# zone's overlays (lib/svc, usr/lib/fm) stay unmounted. Put back whatever
# was mounted under the root right after the detach.
ensure_mounted() {
	local ds dir mp mtab
	run mount -p || return 1
	mtab=$OUT
	while read -r ds dir; do
		[ -n "$ds" ] || continue
		awk -v d="$ds" -v m="$dir" '$1 == d && $3 == m && $4 == "zfs" { f = 1 } END { exit !f }' <<<"$mtab" && continue
		run zfs get -H -o value mountpoint "$ds"
		mp=$OUT
		local o=()
		[ "$dir" != "$ROOT" ] && o=(-O)     # overlays go over the zbe's own directories
		if [ "$mp" = legacy ]; then
			run mount -F zfs "${o[@]}" "$ds" "$dir"
		else
			[ "$mp" = "$dir" ] || run zfs set mountpoint="$dir" "$ds"
			run mount -p
			awk -v d="$ds" '$1 == d && $4 == "zfs" { f = 1 } END { exit !f }' <<<"$OUT" ||
				run zfs mount "${o[@]}" "$ds"
		fi
	done <"$LOGDIR/$Z.mounts"
}

# attach_u RUNG: attach -u once (again after an image lock); on success
# RUNG is what saved the zone.
attach_u() {
	local rung=$1 tries=0 rc
	while :; do
		say "$Z: attach -u ($rung)"
		run timeout "$(scaled "$ATTACH_TIMEOUT")" zoneadm -z "$Z" attach -u
		rc=$?
		LASTLOG=$(sed -n 's/^Log File: //p' <<<"$OUT" | head -1)
		[ -n "$LASTLOG" ] && [ -f "$LASTLOG" ] && { echo "--- $LASTLOG"; cat "$LASTLOG"; echo "---"; } >>"$ZLOG"
		if [ $rc -eq 0 ]; then
			SAVED=$rung
			return 0
		fi
		[ $rc -eq 124 ] && say "$Z: attach -u hung, killed after $(scaled "$ATTACH_TIMEOUT") s"
		if [ -n "$LASTLOG" ] && grep -q 'currently in use by another package client' "$LASTLOG" && [ $tries -lt 3 ]; then
			tries=$((tries + 1))
			say "$Z: the zone image was locked, trying again"
			pause 30
			continue
		fi
		break
	done
	# Failures no rung fixes: the brand's own checks, a full pool, or the
	# global zone's first repository down. Stop climbing.
	if [ -n "$LASTLOG" ] && grep -q -e 'Sanity Check: FAILED' -e 'No space left on device' \
		-e 'must be a ZFS dataset' -e "URL: '${GZ_FIRST_ORIGIN%/}/" "$LASTLOG"; then
		HOPELESS=1
		say "$Z: attach -u failed for a reason no rung can fix"
	fi
	# pkg -R needs the zone root mounted for the next rung.
	ensure_mounted
	return 1
}

# The version of entire the attach log showed for the zone, as 0.5.11-0.117.
zone_entire() {
	local v
	[ -n "$LASTLOG" ] && v=$(sed -n 's/.*Non-Global zone version: entire@//p' "$LASTLOG" | tail -1)
	if [ -z "${v:-}" ]; then
		zpkg -R "$ROOT" list -H entire || return 1
		v=$(awk '{ print $2; exit }' <<<"$OUT")
	fi
	v=${v%%:*}                   # no timestamp
	v=${v/,5.11-/-}              # 0.5.11,5.11-0.117 -> 0.5.11-0.117
	echo "$v"
}

# Rung 2: the global zone's publishers as simple as possible.
rung_global_publishers() {
	gz_strip || return 1
	attach_u global-publishers
}

# Rung 3: the zone's own publishers the global zone does not have.
rung_zone_publishers() {
	local names odd=() n first gzhas=""
	zpkg -R "$ROOT" publisher -H -F tsv || return 1
	names=$(awk -F'\t' 'NF && !seen[$1]++ { print $1 }' <<<"$OUT")
	for n in $names; do
		if printf '%s\n' "${GZ_NAMES[@]}" | grep -qxF -- "$n"; then
			[ -z "$gzhas" ] && gzhas=$n
		else
			odd+=("$n")
		fi
	done
	[ ${#odd[@]} -eq 0 ] && return 1
	first=$(head -1 <<<"$names")
	if ! printf '%s\n' "${GZ_NAMES[@]}" | grep -qxF -- "$first"; then
		# The first-ranked one cannot be removed (S11E): rank a global one first.
		if [ -n "$gzhas" ]; then
			zpkg -R "$ROOT" set-publisher -P "$gzhas"
		else
			zpkg -R "$ROOT" set-publisher -P -g "$(head -1 <<<"${GZ_ORIGINS[${GZ_NAMES[0]}]}")" "${GZ_NAMES[0]}"
		fi
	fi
	say "$Z: removing the zone's publishers ${odd[*]}"
	zpkg -R "$ROOT" unset-publisher "${odd[@]}"
	attach_u zone-publishers
}

# Rung 4: OpenSolaris zones below build 134 go to 134 first (111 -> 151
# in one go does not work).
rung_step_release() {
	local v build
	v=$(zone_entire) || return 1
	[[ "$v" =~ ^0\.5\.11-0\.([0-9]+) ]] || return 1
	build=${BASH_REMATCH[1]}
	[ "$build" -lt 134 ] || return 1
	say "$Z: entire is $v, stepping to $STEP_VERSION first"
	zpkg -R "$ROOT" set-publisher -P -O "$STEP_ORIGIN" "$STEP_PUBLISHER" || return 0
	zpkg -R "$ROOT" install -v --accept "entire@$STEP_VERSION"
	attach_u step-release
}

# Rung 5: image-update inside the zone root (update on newer clients).
rung_image_update() {
	zpkg -R "$ROOT" image-update -v
	[ $? -eq 2 ] && zpkg -R "$ROOT" update -v
	attach_u image-update
}

# Rung 6: remove Apache, PHP, PostgreSQL, Sun Studio. Never uninstall -r.
rung_remove_conflicts() {
	local stem base pat match=()
	allowed remove-conflicts || return 1
	zpkg -R "$ROOT" list -H || return 1
	for stem in $(awk '{ print $1 }' <<<"$OUT"); do
		base=${stem##*/}
		for pat in $CONFLICTS; do
			# shellcheck disable=SC2053
			if [[ ${stem,,} == $pat || ${base,,} == $pat ]]; then
				match+=("$stem")
				break
			fi
		done
	done
	[ ${#match[@]} -eq 0 ] && return 1
	say "$Z: uninstalling ${match[*]}"
	zpkg -R "$ROOT" uninstall -v "${match[@]}"
	attach_u remove-conflicts
}

# Rung 7: re-create the package image over the zone root (the files stay),
# from the global zone's first publisher; never on a sparse image.
rung_recreate_image() {
	local pub origin
	allowed recreate-image || return 1
	case "$BRAND" in sparse | pkgsrc) return 1 ;; esac
	pub=${GZ_NAMES[0]}
	origin=$(head -1 <<<"${GZ_ORIGINS[$pub]}")
	say "$Z: re-creating the image from $pub=$origin"
	zpkg image-create -f -z -p "$pub=$origin" "$ROOT" || { ensure_mounted; return 0; }
	zpkg -R "$ROOT" install -v --accept system/library
	attach_u recreate-image || return 0
	# The new packages laid their own /etc over the zone's: bring the
	# zone's configuration back from the snapshot.
	local snapdir="$ROOT/.zfs/snapshot/$SNAP" p
	if [ -d "$snapdir" ]; then
		for p in $RESTORE_PATHS; do
			[ -e "$snapdir/$p" ] || continue
			mkdir -p "$(dirname "$ROOT/$p")"
			run cp -pR "$snapdir/$p" "$(dirname "$ROOT/$p")/"
		done
	fi
	return 0
}

# Roll the zone's datasets back to the snapshot, deepest first; the zone
# stays detached.
rollback() {
	local s ok=0
	say "$Z: rolling back to @$SNAP"
	run zfs list -H -t snapshot -o name -r "$DS" || return 1
	for s in $(grep "@$SNAP\$" <<<"$OUT" | awk '{ print gsub("/", "/"), $0 }' | sort -rn | cut -d' ' -f2-); do
		run zfs rollback -r "$s" || ok=1
	done
	return $ok
}

RESULTS=()
result() {     # result RESULT RUNG
	RESULTS+=("operator-zone: $Z $1 ${2:--}")
	say "$Z: $1${2:+ ($2)}"
}

do_zone() {
	local state was used avail pool
	Z=$1 ZP=$2 state=$3 BRAND=$4
	ROOT=$ZP/root SNAP=op-$Z LASTLOG="" SAVED="" HOPELESS=0
	ZLOG="$LOGDIR/$Z.log"
	: >"$ZLOG"
	say "$Z: $state, brand $BRAND, $ZP"

	case "$BRAND" in
	ipkg | nlipkg | lipkg | sparse | pkgsrc) ;;
	*) result blocked; say "$Z: brand $BRAND is no package image, not for attach -u"; return ;;
	esac
	case "$state" in
	running | installed | configured) ;;
	*) result blocked; say "$Z: state $state, left alone"; return ;;
	esac

	# The zonepath's dataset: the one mounted there (a received backup can
	# carry the same mountpoint, unmounted).
	run zfs list -H -t filesystem -o name,mountpoint,mounted
	DS=$(awk -F'\t' -v p="$ZP" '$2 == p && $3 == "yes" { print $1 }' <<<"$OUT")
	if [ -z "$DS" ] || [ "$(wc -l <<<"$DS")" -ne 1 ]; then
		result blocked
		say "$Z: zonepath $ZP is not one mounted ZFS dataset"
		return
	fi
	# Room for the update: the pool must hold at least the zone once more.
	pool=${DS%%/*}
	run zfs get -Hp -o value used "$DS"
	used=$OUT
	run zfs get -Hp -o value available "$pool"
	avail=$OUT
	if [[ "$used" =~ ^[0-9]+$ && "$avail" =~ ^[0-9]+$ ]] && [ "$used" -gt "$avail" ]; then
		result blocked
		say "$Z: $pool has $avail bytes free, the zone uses $used"
		return
	fi

	was=$state
	if [ "$state" = running ]; then
		run zoneadm -z "$Z" halt || { result blocked; say "$Z: halt failed"; return; }
		state=installed
	fi
	if ! run zfs snapshot -r "$DS@$SNAP"; then
		result blocked
		say "$Z: snapshot failed: $ERR"
		[ "$was" = running ] && run zoneadm -z "$Z" boot
		return
	fi
	if [ "$state" = installed ]; then
		if ! run zoneadm -z "$Z" detach; then
			result blocked
			say "$Z: detach failed"
			[ "$was" = running ] && run zoneadm -z "$Z" boot
			return
		fi
	fi
	# What is mounted under the zone root now is what pkg needs mounted.
	run mount -p
	awk -v r="$ROOT" '$4 == "zfs" && ($3 == r || index($3, r "/") == 1) { print $1, $3 }' <<<"$OUT" >"$LOGDIR/$Z.mounts"
	ZBE=$(awk -v r="$ROOT" '$2 == r { print $1 }' "$LOGDIR/$Z.mounts")

	# The ladder.
	if ! attach_u attach-update && [ $HOPELESS = 0 ]; then
		for rung in rung_global_publishers rung_zone_publishers rung_step_release \
			rung_image_update rung_remove_conflicts rung_recreate_image; do
			$rung     # returns 1 when it has nothing to do here: no attach -u then
			[ -n "$SAVED" ] && break
			[ $HOPELESS = 1 ] && break
		done
	fi
	gz_restore

	if [ -n "$SAVED" ]; then
		if run zoneadm -z "$Z" boot; then
			run zlogin "$Z" svcs -x
			[ -n "$OUT" ] && say "$Z: svcs -x has something to say: $(head -1 <<<"$OUT")"
			result upgraded "$SAVED"
			return
		fi
		say "$Z: upgraded by $SAVED but does not boot"
		run zoneadm -z "$Z" halt
		run zoneadm -z "$Z" detach
	fi
	if rollback; then
		result rolled-back "$SAVED"
	else
		result failed "$SAVED"
		say "$Z: ROLLBACK FAILED, see $ZLOG"
	fi
}

# ---------------------------------------------------------------------------
# The night.

ZLOG="$LOGDIR/night.log"
: >"$ZLOG"
say "operator: logs in $LOGDIR"
run zoneadm list -cp || { echo "operator.sh: zoneadm list failed: $ERR" >&2; exit 1; }
ZLIST=$OUT
gz_record || { echo "operator.sh: cannot record the global zone's publishers" >&2; exit 1; }
GZ_FIRST_ORIGIN=$(head -1 <<<"${GZ_ORIGINS[${GZ_NAMES[0]}]}")
if [ ${#ZONES[@]} -eq 0 ]; then
	mapfile -t ZONES < <(awk -F: '$2 != "global" { print $2 }' <<<"$ZLIST")
fi

for z in "${ZONES[@]}"; do
	line=$(awk -F: -v z="$z" '$2 == z' <<<"$ZLIST")
	if [ -z "$line" ] || [ "$z" = global ]; then
		Z=$z
		result blocked
		say "$z: no such zone"
		continue
	fi
	IFS=: read -r _ name state zonepath _ brand _ <<<"$line"
	do_zone "$name" "$zonepath" "$state" "$brand"
	ZLOG="$LOGDIR/night.log"
done

n=0 ok=0 rb=0 bad=0
for r in "${RESULTS[@]}"; do
	echo "$r"
	n=$((n + 1))
	case "$r" in
	*" upgraded "*) ok=$((ok + 1)) ;;
	*" rolled-back "*) rb=$((rb + 1)) ;;
	*" failed "*) bad=$((bad + 1)) ;;
	esac
done
if [ -n "$REPORT" ]; then
	printf '%s\n' "${RESULTS[@]}" | awk '
		BEGIN { printf "{\"jobs\": [" }
		{ r = ($4 == "-") ? "" : $4
		  printf "%s\n  {\"zone\": \"%s\", \"result\": \"%s\", \"rung\": \"%s\"}", (NR > 1 ? "," : ""), $2, $3, r }
		END { print "\n]}" }' >"$REPORT"
fi
echo "operator: zones $n rescued $ok rolled_back $rb failed $bad seconds $(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')"

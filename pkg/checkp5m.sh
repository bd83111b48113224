#!/bin/sh
# checkp5m.sh PROTO P5M VERSION: the install tree and its IPS manifest
# agree (make install-check, part of make test). Every folder and file of
# PROTO is a dir or file action of P5M with the same mode, and the other
# way round; the delivered paths have the modes and groups zoneup means
# them to have; the package attributes, the manifest's restart_fmri, the
# man pages' facet and the dependencies are there.
set -eu

proto=${1:?usage: checkp5m.sh PROTO P5M VERSION}
p5m=${2:?usage: checkp5m.sh PROTO P5M VERSION}
version=${3:?usage: checkp5m.sh PROTO P5M VERSION}
fails=0
fail() {
	echo "checkp5m: $*" >&2
	fails=$((fails + 1))
}

mode() {
	m=$(stat -c '%a' "$1" 2>/dev/null || stat -f '%Lp' "$1")
	printf '%04o' "0$m"
}

# action KIND PATH: the attributes of the p5m action for PATH, one
# key=value a line ("" if there is none). Our dir and file actions have no
# quoted values and no continuation lines.
action() {
	awk -v kind="$1" -v path="path=$2" '$1 == kind && $2 == path { for (i = 3; i <= NF; i++) print $i; exit }' "$p5m"
}

attr() { # ATTRS KEY: the value of KEY in ATTRS
	printf '%s\n' "$1" | sed -n "s/^$2=//p"
}

# The tree, both ways.
tree=$(cd "$proto" && find . -mindepth 1 | sed 's|^\./||' | LC_ALL=C sort)
for p in $tree; do
	if [ -d "$proto/$p" ]; then kind=dir; else kind=file; fi
	a=$(action $kind "$p")
	if [ -z "$a" ]; then
		fail "$kind $p is installed but not in $p5m"
		continue
	fi
	[ "$(attr "$a" mode)" = "$(mode "$proto/$p")" ] ||
		fail "$kind $p: mode $(attr "$a" mode) in the p5m, $(mode "$proto/$p") installed"
	[ "$(attr "$a" owner)" = root ] || fail "$kind $p: owner $(attr "$a" owner), want root"
	[ -n "$(attr "$a" group)" ] || fail "$kind $p: no group"
done
awk '$1 == "dir" || $1 == "file" { sub(/^path=/, "", $2); print $1, $2 }' "$p5m" | while read -r kind p; do
	case $kind in
	dir) [ -d "$proto/$p" ] || { echo "checkp5m: dir $p is in the p5m but not installed" >&2; exit 1; } ;;
	file) [ -f "$proto/$p" ] || { echo "checkp5m: file $p is in the p5m but not installed" >&2; exit 1; } ;;
	esac
done || fails=$((fails + 1))

# What is delivered, as delivered: kind path mode group.
while read -r kind p want group; do
	a=$(action "$kind" "$p")
	[ -n "$a" ] || { fail "$kind $p: not delivered"; continue; }
	[ "$(attr "$a" mode)" = "$want" ] || fail "$kind $p: mode $(attr "$a" mode), want $want"
	[ "$(attr "$a" group)" = "$group" ] || fail "$kind $p: group $(attr "$a" group), want $group"
done <<'EOF'
dir usr 0755 sys
dir usr/lib 0755 bin
dir usr/lib/zoneup 0755 bin
dir usr/sbin 0755 bin
dir usr/share 0755 sys
dir usr/share/man 0755 bin
dir usr/share/man/man8 0755 bin
dir var 0755 sys
dir var/svc 0755 sys
dir var/svc/manifest 0755 sys
dir var/svc/manifest/application 0755 sys
dir var/zoneup 0700 sys
file usr/lib/zoneup/zoneupd 0555 bin
file usr/sbin/zoneupadm 0555 bin
file var/svc/manifest/application/zoneup.xml 0444 sys
file usr/share/man/man8/zoneupd.8 0444 bin
file usr/share/man/man8/zoneupadm.8 0444 bin
EOF

a=$(action file var/svc/manifest/application/zoneup.xml)
[ "$(attr "$a" restart_fmri)" = svc:/system/manifest-import:default ] ||
	fail "zoneup.xml: no restart_fmri=svc:/system/manifest-import:default"
for m in zoneupd.8 zoneupadm.8; do
	[ "$(attr "$(action file usr/share/man/man8/$m)" facet.doc.man)" = true ] ||
		fail "$m: no facet.doc.man=true"
done
cmp -s "$proto/var/svc/manifest/application/zoneup.xml" smf/zoneup.xml || fail "the installed zoneup.xml is not smf/zoneup.xml"

# Package attributes and dependencies.
for want in \
	"set name=pkg.fmri value=pkg://site/system/zoneup@$version" \
	'set name=pkg.summary value="' \
	'set name=pkg.description value="' \
	'set name=variant.arch value=i386' \
	'set name=info.classification value="org.opensolaris.category.2008:System/Administration and Configuration"' \
	'depend fmri=pkg:/system/zones type=require'; do
	grep -qF "$want" "$p5m" || fail "no line starting $want"
done

# The binaries are for the target, not for the build host.
for b in usr/lib/zoneup/zoneupd usr/sbin/zoneupadm; do
	head -c 20 "$proto/$b" | od -An -tx1 | tr -d ' \n' | grep -q '^7f454c46' || fail "$b is not an ELF file"
done

if [ "$fails" -ne 0 ]; then
	echo "checkp5m: $fails problems in $p5m" >&2
	exit 1
fi
echo "checkp5m: $(echo "$tree" | wc -l | tr -d ' ') paths installed and in the p5m"

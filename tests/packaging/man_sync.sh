#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The man pages build with scdoc and say what the code does: every option of every --help,
# every groupkey object and command, every key of docs/config.md and every metric name the
# code prints appear in them (and metric names in docs/metrics.md too).
source "$(dirname "$0")/../lib.sh"

tap_init
require_cmd scdoc man
GK=$(gk_bin groupkey) || tap_bail "groupkey" "not built"
GKD=$(gk_bin groupkeyd) || tap_bail "groupkeyd" "not built"
MAN=$GK_ROOT/docs/man

t_build() {
	local p

	make -s -C "$GK_ROOT" O="$GK_TMP/b" man >/dev/null || return 1
	for p in groupkeyd.8 groupkey.8 groupkeyd.conf.5; do
		# man(1) renders it without a warning.
		[ -s "$GK_TMP/b/man/$p" ] &&
			[ -z "$(MANWIDTH=80 man --warnings -l "$GK_TMP/b/man/$p" 2>&1 >/dev/null)" ] ||
			{ echo "$p: $(MANWIDTH=80 man --warnings -l "$GK_TMP/b/man/$p" 2>&1 >/dev/null)"; return 1; }
	done
}
tap_check "make man: the three pages build and render without warnings" t_build

# Every --long and -s option that HELP-TEXT names is in PAGE (as *--long* or *-s*).
options_in() { # PAGE HELP-TEXT
	local page=$1 o missing=""

	for o in $(grep -oE -- '(^|[ ,[|])--?[a-zA-Z][a-zA-Z0-9-]*' <<<"$2" | sed 's/^[ ,[|]//' | sort -u); do
		grep -qF -- "*$o*" "$page" || missing+=" $o"
	done
	[ -z "$missing" ] || { echo "not in ${page##*/}:$missing"; return 1; }
}

t_groupkeyd() {
	options_in "$MAN/groupkeyd.8.scd" "$("$GKD" --help)"
}
tap_check "groupkeyd(8) documents every option of groupkeyd --help" t_groupkeyd

OBJECTS=$("$GK" --help | sed -n '/^Objects:/,/^$/p' | sed -n 's/^  \([a-z]*\) .*/\1/p')

t_groupkey_objects() {
	local o missing=""

	[ -n "$OBJECTS" ] || return 1
	options_in "$MAN/groupkey.8.scd" "$("$GK" --help | sed -n '/^Options:/,$p')" || return 1
	for o in $OBJECTS; do
		grep -qx "# ${o^^}" "$MAN/groupkey.8.scd" || missing+=" $o"
	done
	[ -z "$missing" ] || { echo "objects without a section:$missing"; return 1; }
}
tap_check "groupkey(8) has a section per object and the global options" t_groupkey_objects

t_groupkey_commands() {
	local o help verbs v missing=""

	for o in $OBJECTS; do
		help=$("$GK" "$o" --help) || return 1
		options_in "$MAN/groupkey.8.scd" "$help" || return 1
		# Verbs: "groupkey OBJ VERB" in Usage lines, or "  VERB  ..." under Commands.
		verbs=$(sed -n "s/^ *\(Usage: \)\{0,1\}groupkey $o \([a-z][a-z-]*\).*/\2/p" <<<"$help"
			sed -n '/^Commands/,/^$/s/^  \([a-z][a-z-]*\)  .*/\1/p' <<<"$help")
		for v in $verbs; do
			[ "$v" = COMMAND ] && continue
			grep -qE -- "\*groupkey $o $v\*|^\*$v\*|^\*[a-z, *-]*\*$v\*" "$MAN/groupkey.8.scd" ||
				missing+=" $o/$v"
		done
	done
	[ -z "$missing" ] || { echo "commands missing:$missing"; return 1; }
}
tap_check "groupkey(8) documents every command and option of each object's --help" \
	t_groupkey_commands

t_conf() {
	local sect key missing=""

	while IFS=' ' read -r sect key; do
		# A key appears as "*key* = ..." after its section's heading.
		sed -n "/^# \\[$sect/,/^# [^[]*\$/p" "$MAN/groupkeyd.conf.5.scd" |
			grep -q "^\*$key\* =" || missing+=" [$sect] $key"
	done < <(awk '/^## \[/ { s = $2; sub(/^\[/, "", s); sub(/\]$/, "", s) }
		/^\| `[a-z_]+` \|/ && s { k = $2; gsub(/`/, "", k); print s, k }' \
		"$GK_ROOT/docs/config.md")
	[ -z "$missing" ] || { echo "in docs/config.md, not in groupkeyd.conf(5):$missing"; return 1; }
	# And the other way round: no key the reference does not know.
	for key in $(grep -o '^\*[a-z_]*\* =' "$MAN/groupkeyd.conf.5.scd" | tr -d '*= '); do
		grep -q "^| \`$key\` |" "$GK_ROOT/docs/config.md" || missing+=" $key"
	done
	[ -z "$missing" ] || { echo "in groupkeyd.conf(5), not in docs/config.md:$missing"; return 1; }
}
tap_check "groupkeyd.conf(5) has every section and key of docs/config.md, and no other" t_conf

t_metrics() {
	local m missing=""

	for m in $(grep -o 'groupkeyd_dp_[a-z_]*' "$GK_ROOT/daemon/cli/stats_prom.c" | sort -u); do
		grep -q "\`$m\`" "$GK_ROOT/docs/metrics.md" || missing+=" metrics.md:$m"
		grep -q "$m" "$MAN/groupkey.8.scd" || missing+=" groupkey.8:$m"
	done
	for m in $(grep -o '`groupkeyd_dp_[a-z_]*`' "$GK_ROOT/docs/metrics.md" | tr -d '`' | sort -u); do
		grep -q "\"$m\"" "$GK_ROOT/daemon/cli/stats_prom.c" || missing+=" code:$m"
	done
	[ -z "$missing" ] || { echo "metric names out of step:$missing"; return 1; }
}
tap_check "metric names: the code, docs/metrics.md and groupkey(8) agree" t_metrics
tap_done

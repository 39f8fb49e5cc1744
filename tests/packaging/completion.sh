#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# bash completion (packaging/bash-completion/groupkey) run as bash-completion runs it: objects,
# verbs and options offered match what `groupkey --help` and each object's --help list.
source "$(dirname "$0")/../lib.sh"

tap_init
BC=/usr/share/bash-completion/bash_completion
[ -r "$BC" ] || tap_bail "bash-completion" "$BC missing (scripts/deps.sh installs bash-completion)"
GK=$(gk_bin groupkey) || tap_bail "groupkey" "not built"
GKD=$(gk_bin groupkeyd) || tap_bail "groupkeyd" "not built"
FILE=$GK_ROOT/packaging/bash-completion/groupkey

# Offers for the command line WORDS... (the last one is the word being completed), one a line.
complete_line() { # WORD...
	bash -c 'source "$1"; source "$2"; shift 2
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		_${COMP_WORDS[0]}; printf "%s\n" "${COMPREPLY[@]}"' _ "$BC" "$FILE" "$@" | sort -u
}

long_opts() { # HELP-TEXT
	grep -oE -- '(^|[ [|])--[a-z][a-z0-9-]*' <<<"$1" | sed 's/^[ [|]//' | sort -u
}

OBJECTS=$("$GK" --help | sed -n '/^Objects:/,/^$/p' | sed -n 's/^  \([a-z]*\) .*/\1/p' | sort)

tap_check "bash -n: the file parses" bash -n "$FILE"
tap_check "groupkey <TAB>: every object of groupkey --help" eval \
	'[ "$(complete_line groupkey "" | grep -v "^-")" = "$OBJECTS" ]'

t_verbs() {
	local o help want got bad=""

	for o in $OBJECTS; do
		[ "$o" = stats ] && continue
		help=$("$GK" "$o" --help)
		want=$( (sed -n "s/^ *\(Usage: \)\{0,1\}groupkey $o \([a-z][a-z-]*\).*/\2/p" <<<"$help"
			sed -n '/^Commands/,/^$/s/^  \([a-z][a-z-]*\)  .*/\1/p' <<<"$help") |
			grep -vx COMMAND | sort -u)
		got=$(complete_line groupkey "$o" "" | grep -v '^-')
		[ "$got" = "$want" ] || bad+=" $o: offered [$(echo $got)] help [$(echo $want)];"
	done
	[ -z "$bad" ] || { echo "$bad"; return 1; }
}
tap_check "groupkey OBJECT <TAB>: the verbs of that object's --help" t_verbs

t_options() {
	local o v verbs help offered missing=""

	for o in $OBJECTS; do
		help=$("$GK" "$o" --help)
		verbs=$(complete_line groupkey "$o" "" | grep -v '^-')
		[ "$o" = stats ] && verbs=-
		offered=$(for v in $verbs; do
			if [ "$v" = - ]; then complete_line groupkey "$o" --; else
				complete_line groupkey "$o" "$v" --; fi
		done | sort -u)
		for v in $(long_opts "$help"); do
			grep -qx -- "$v" <<<"$offered" || missing+=" $o:$v"
		done
	done
	[ -z "$missing" ] || { echo "options of --help never offered:$missing"; return 1; }
}
tap_check "groupkey OBJECT VERB --<TAB>: every option of the object's --help is offered" t_options

t_prefix() {
	[ "$(complete_line groupkey stats --p | tr '\n' ' ')" = "--pin-dir --prometheus " ] &&
		[ "$(complete_line groupkey dataplane load --mode "" | tr '\n' ' ')" = \
			"auto generic native " ]
}
tap_check "prefixes and values: stats --p, dataplane load --mode" t_prefix

t_groupkeyd() {
	local missing="" o offered

	offered=$(complete_line groupkeyd -)
	for o in $(long_opts "$("$GKD" --help)"); do
		grep -qx -- "$o" <<<"$offered" || missing+=" $o"
	done
	[ -z "$missing" ] || { echo "groupkeyd options not offered:$missing"; return 1; }
}
tap_check "groupkeyd -<TAB>: every long option of groupkeyd --help" t_groupkeyd
tap_done

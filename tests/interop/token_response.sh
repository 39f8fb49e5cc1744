#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# groupkeyd's /token responses checked by token_response.py with Debian's python3-cbor2 and
# python3-cryptography: every label, the COSE_Encrypt0 token and its CWT claims.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../daemon/lib_daemon.sh"

tap_init
require_cmd ss
gkd_config as || tap_bail "config" "cannot write the config"
tap_check "groupkeyd starts" gkd_start as || tap_bail "groupkeyd start" "see above"

# Re-number token_response.py's TAP lines into ours, under a prefix.
py_checks() # PREFIX RESPONSE SCOPE_HEX GRANTED
{
	local prefix=$1 line n=0

	shift
	while IFS= read -r line; do
		case $line in
		"ok "*) n=$((n + 1)); tap_ok "$prefix: ${line#ok * - }" ;;
		"not ok "*) n=$((n + 1)); tap_fail "$prefix: ${line#not ok * - }" ;;
		"#"*) echo "$line" ;;
		esac
	done < <("$PY" "$GK_ROOT/tests/interop/token_response.py" "$1" "$AS_KDC_K" "$AS_KDC_KID" \
		groupkeyd-as groupkeyd-kdc 3600 "$2" "$3" 2>&1)
	[ "$n" -eq 9 ] || tap_fail "$prefix: token_response.py reported $n of 9 checks"
}

t_request() { # OUT SCOPE...
	local out=$1 s args=()

	shift
	for s in "$@"; do
		args+=(--scope "$s")
	done
	expect_rc 0 "$GK" token request --as "$(as_uri as)" --client-id alice --psk "$ALICE_PSK" \
		"${args[@]}" --audience groupkeyd-kdc --raw-response "$GK_TMP/$out.rsp" \
		-o "$GK_TMP/$out.cbor" && [ "$(stat -c %a "$GK_TMP/$out.rsp")" = 600 ]
}
tap_check "token request as asked, --raw-response saved 0600" t_request plain g1:sender
py_checks "as asked" "$GK_TMP/plain.rsp" 818262673102 no
tap_check "token request beyond the allowed roles (granted: sender+receiver)" t_request wide \
	g1:sender,receiver,monitor
py_checks "subset granted" "$GK_TMP/wide.rsp" 818262673106 yes
tap_check "groupkeyd stops cleanly on SIGTERM" gkd_stop as
tap_done

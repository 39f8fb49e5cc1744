/* SPDX-License-Identifier: BSD-3-Clause */
/* Member mode: this host joins groups at a KDC and feeds its data plane with their keys. */
#ifndef GKD_MEMBER_H
#define GKD_MEMBER_H

#include <stdint.h>

#include "conf.h"
#include "groupkey/dataplane.h"

/*
 * Data-plane group ids of [member] sections: GKD_MEMBER_GROUP_ID_BASE + the
 * section's index, above every KDC group id (the [group] index < 64).
 */
#define GKD_MEMBER_GROUP_ID_BASE 128u

/* The gk_groups key of a member's group address at port (0: the address entry). */
struct gk_dp_group_key gkd_member_addr(const struct gkd_member_conf *m, uint16_t port);

/*
 * The member worker (`groupkeyd --member NAME`, started by the daemon per
 * [member] section): gets a token from the AS, posts it, joins over DTLS
 * with PoP, programs the group's key, sender id and sequence block into the
 * pinned maps, then observes the keying material (RFC 9594 §4.3.2) and
 * follows every rekey until SIGTERM. Token renewal is a new token and a new
 * Join, then a Leave of the old node. Returns the process's exit status.
 */
int gkd_member_main(const struct gkd_config *cfg, const char *name);

#endif

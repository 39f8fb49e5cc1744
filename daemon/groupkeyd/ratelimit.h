/* SPDX-License-Identifier: BSD-3-Clause */
/* Per-source-address token buckets in a fixed-size table, for the rate limit on /authz-info. */
#ifndef GKD_RATELIMIT_H
#define GKD_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sockaddr;
struct gkd_ratelimit;

/*
 * rate requests per second per address, with bursts of up to burst; rate 0
 * turns the limit off. slots (rounded up to a multiple of 4) bounds the
 * memory: the table is 4-way set associative and a new address takes the
 * least recently seen slot of its set, so an address that was evicted comes
 * back with a full bucket. seed keys the hash (draw it at random) so that
 * remote peers cannot aim many addresses at one set.
 */
int gkd_ratelimit_new(uint32_t rate, uint32_t burst, size_t slots, uint64_t seed,
		      struct gkd_ratelimit **out);
void gkd_ratelimit_free(struct gkd_ratelimit *rl);

/*
 * Take one token from the bucket of sa's address (port ignored; an IPv4
 * address and its v4-mapped IPv6 form share a bucket) at time now_ms
 * (monotonic). False when the bucket is empty: refuse with 4.29.
 * Addresses of other families always pass.
 */
bool gkd_ratelimit_allow(struct gkd_ratelimit *rl, const struct sockaddr *sa, uint64_t now_ms);

/* Seconds until sa's bucket holds a token again (for Max-Age on 4.29); 0 if it holds one. */
uint32_t gkd_ratelimit_retry_after(struct gkd_ratelimit *rl, const struct sockaddr *sa,
				   uint64_t now_ms);

#endif

// SPDX-License-Identifier: BSD-3-Clause
/* Token buckets per source address (IPv4 folded into v4-mapped IPv6) in a set-associative table. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ratelimit.h"

#define WAYS 4
#define MILLI 1000u /* a token is MILLI milli-tokens: refill stays exact at any rate */

struct rl_slot {
	uint8_t addr[16];
	bool used;
	uint64_t tokens; /* milli-tokens */
	uint64_t last_ms;
};

struct gkd_ratelimit {
	uint32_t rate, burst;
	uint64_t seed;
	size_t n_sets;
	struct rl_slot slots[];
};

int gkd_ratelimit_new(uint32_t rate, uint32_t burst, size_t slots, uint64_t seed,
		      struct gkd_ratelimit **out)
{
	struct gkd_ratelimit *rl;
	size_t n_sets = (slots + WAYS - 1) / WAYS;

	if (!n_sets || !burst)
		return -EINVAL;
	rl = calloc(1, sizeof(*rl) + n_sets * WAYS * sizeof(rl->slots[0]));
	if (!rl)
		return -ENOMEM;
	rl->rate = rate;
	rl->burst = burst;
	rl->seed = seed;
	rl->n_sets = n_sets;
	*out = rl;
	return 0;
}

void gkd_ratelimit_free(struct gkd_ratelimit *rl)
{
	free(rl);
}

/* The address as 16 bytes, IPv4 as ::ffff:a.b.c.d; false for other families. */
static bool addr_key(const struct sockaddr *sa, uint8_t key[16])
{
	static const uint8_t v4mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (sa->sa_family == AF_INET6) {
		memcpy(key, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		return true;
	}
	if (sa->sa_family == AF_INET) {
		memcpy(key, v4mapped, sizeof(v4mapped));
		memcpy(key + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return true;
	}
	return false;
}

/* FNV-1a over the seed and the address: cheap, and keyed so sets cannot be targeted blindly. */
static size_t set_of(const struct gkd_ratelimit *rl, const uint8_t key[16])
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (int i = 0; i < 8; i++) {
		h ^= (uint8_t)(rl->seed >> (8 * i));
		h *= 0x100000001b3ull;
	}
	for (int i = 0; i < 16; i++) {
		h ^= key[i];
		h *= 0x100000001b3ull;
	}
	return (size_t)(h % rl->n_sets);
}

static struct rl_slot *lookup(struct gkd_ratelimit *rl, const uint8_t key[16], uint64_t now_ms)
{
	struct rl_slot *set = &rl->slots[set_of(rl, key) * WAYS], *victim = set;

	for (int i = 0; i < WAYS; i++) {
		if (set[i].used && !memcmp(set[i].addr, key, 16))
			return &set[i];
		if (!set[i].used)
			victim = &set[i];
		else if (victim->used && set[i].last_ms < victim->last_ms)
			victim = &set[i];
	}
	memcpy(victim->addr, key, 16);
	victim->used = true;
	victim->tokens = (uint64_t)rl->burst * MILLI;
	victim->last_ms = now_ms;
	return victim;
}

static void refill(const struct gkd_ratelimit *rl, struct rl_slot *s, uint64_t now_ms)
{
	uint64_t cap = (uint64_t)rl->burst * MILLI;

	if (now_ms > s->last_ms) {
		uint64_t add = (now_ms - s->last_ms) * rl->rate;

		s->tokens = add >= cap - s->tokens ? cap : s->tokens + add;
		s->last_ms = now_ms;
	}
}

bool gkd_ratelimit_allow(struct gkd_ratelimit *rl, const struct sockaddr *sa, uint64_t now_ms)
{
	struct rl_slot *s;
	uint8_t key[16];

	if (!rl->rate || !addr_key(sa, key))
		return true;
	s = lookup(rl, key, now_ms);
	refill(rl, s, now_ms);
	if (s->tokens < MILLI)
		return false;
	s->tokens -= MILLI;
	return true;
}

uint32_t gkd_ratelimit_retry_after(struct gkd_ratelimit *rl, const struct sockaddr *sa,
				   uint64_t now_ms)
{
	struct rl_slot *s;
	uint8_t key[16];
	uint64_t ms;

	if (!rl->rate || !addr_key(sa, key))
		return 0;
	s = lookup(rl, key, now_ms);
	refill(rl, s, now_ms);
	if (s->tokens >= MILLI)
		return 0;
	/* rate milli-tokens come back per millisecond. */
	ms = (MILLI - s->tokens + rl->rate - 1) / rl->rate;
	return (uint32_t)((ms + 999) / 1000);
}

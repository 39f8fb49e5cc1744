// SPDX-License-Identifier: BSD-3-Clause
/* Gateway allow list: which legacy hosts may send to a group through a LAN port (gk_allow). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "dp_internal.h"

#define DP_V4_BITS 96 /* ::ffff:0:0/96, where IPv4 sources live */

/* "ADDR" or "ADDR/LEN" into a 16-byte address (IPv4-mapped) and its prefix length. */
static int dp_prefix_parse(const char *prefix, uint8_t addr[16], unsigned int *bits)
{
	char buf[INET6_ADDRSTRLEN + 4], *slash, *end;
	unsigned long len;
	unsigned int max;
	struct in_addr a4;
	int n;

	n = snprintf(buf, sizeof(buf), "%s", prefix);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -EINVAL;
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, buf, &a4) == 1) {
		addr[10] = 0xff;
		addr[11] = 0xff;
		memcpy(addr + 12, &a4, sizeof(a4));
		max = 32;
	} else if (inet_pton(AF_INET6, buf, addr) == 1) {
		max = 128;
	} else {
		return -EINVAL;
	}
	len = max;
	if (slash) {
		errno = 0;
		len = strtoul(slash + 1, &end, 10);
		if (!isdigit((unsigned char)slash[1]) || errno || *end || len > max)
			return -EINVAL;
	}
	*bits = (unsigned int)len + (max == 32 ? DP_V4_BITS : 0);
	return 0;
}

/* Clear the address bits past the prefix: "10.0.0.1/24" is 10.0.0.0/24, as LPM matches it. */
static void dp_prefix_mask(uint8_t addr[16], unsigned int bits)
{
	for (unsigned int i = 0; i < 16; i++) {
		if (bits >= 8 * (i + 1))
			continue;
		addr[i] &= bits > 8 * i ? (uint8_t)(0xff << (8 - (bits - 8 * i))) : 0;
	}
}

int gk_dp_allow_key(uint32_t group_id, const char *prefix, struct gk_dp_allow_key *key)
{
	unsigned int bits;
	int err;

	if (group_id >= GK_DP_MAX_GROUPS || !prefix)
		return -EINVAL;
	memset(key, 0, sizeof(*key));
	err = dp_prefix_parse(prefix, key->addr, &bits);
	if (err)
		return err;
	dp_prefix_mask(key->addr, bits);
	key->group_id = group_id;
	key->prefixlen = GK_DP_ALLOW_GROUP_BITS + bits;
	return 0;
}

int gk_dp_allow_add(struct gk_dp *dp, uint32_t group_id, const char *prefix)
{
	struct gk_dp_allow_key k;
	__u32 flags = GK_DP_ALLOW_SEND;
	int err;

	err = gk_dp_allow_key(group_id, prefix, &k);
	if (err)
		return err;
	if (dp->allow_fd < 0)
		return -ENOENT;
	/* No need to tell the programs: an LPM trie update is seen by the next lookup. */
	if (bpf_map_update_elem(dp->allow_fd, &k, &flags, BPF_ANY))
		return -errno;
	return 0;
}

int gk_dp_allow_del(struct gk_dp *dp, uint32_t group_id, const char *prefix)
{
	struct gk_dp_allow_key k;
	int err;

	err = gk_dp_allow_key(group_id, prefix, &k);
	if (err)
		return err;
	if (dp->allow_fd < 0)
		return -ENOENT;
	if (bpf_map_delete_elem(dp->allow_fd, &k))
		return -errno;
	return 0;
}

static int dp_allow_cmp(const void *a, const void *b)
{
	const struct gk_dp_allow_entry *x = a, *y = b;
	int c;

	if (x->group_id != y->group_id)
		return x->group_id < y->group_id ? -1 : 1;
	c = memcmp(x->addr, y->addr, sizeof(x->addr));
	if (c)
		return c;
	return (int)x->bits - (int)y->bits;
}

/* Append the entry at key k (one more slot each time: the trie says nothing of its size). */
static int dp_allow_push(int fd, const struct gk_dp_allow_key *k, struct gk_dp_allow_entry **out,
			 size_t *n)
{
	struct gk_dp_allow_entry *e, *grown;
	__u32 flags;

	if (bpf_map_lookup_elem(fd, k, &flags))
		return errno == ENOENT ? 0 : -errno; /* deleted meanwhile */
	if (k->prefixlen < GK_DP_ALLOW_GROUP_BITS || k->prefixlen > GK_DP_ALLOW_GROUP_BITS + 128)
		return 0; /* not written by us: no group, or longer than a key */
	grown = realloc(*out, (*n + 1) * sizeof(**out));
	if (!grown)
		return -ENOMEM;
	*out = grown;
	e = &grown[(*n)++];
	e->group_id = k->group_id;
	memcpy(e->addr, k->addr, sizeof(e->addr));
	e->bits = (uint8_t)(k->prefixlen - GK_DP_ALLOW_GROUP_BITS);
	e->flags = flags;
	return 0;
}

int gk_dp_allow_read(const char *pin_dir, struct gk_dp_allow_entry **out, size_t *n)
{
	struct gk_dp_allow_key k, next;
	char path[PATH_MAX];
	void *prev = NULL;
	int fd, err;

	*out = NULL;
	*n = 0;
	err = gk_dp_pin_path(pin_dir ? pin_dir : GK_DP_PIN_DIR, GK_DP_ALLOW_PIN, path,
			     sizeof(path));
	if (err)
		return err;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	while (!(err = bpf_map_get_next_key(fd, prev, &next))) {
		k = next;
		prev = &k;
		err = dp_allow_push(fd, &k, out, n);
		if (err)
			goto out_free;
	}
	err = errno == ENOENT ? 0 : -errno;
	if (err)
		goto out_free;
	close(fd);
	if (*n)
		qsort(*out, *n, sizeof(**out), dp_allow_cmp);
	return 0;

out_free:
	close(fd);
	free(*out);
	*out = NULL;
	*n = 0;
	return err;
}

int gk_dp_allow_str(const struct gk_dp_allow_entry *e, char *buf, size_t len)
{
	static const uint8_t v4[12] = { [10] = 0xff, [11] = 0xff };
	bool is_v4 = e->bits >= DP_V4_BITS && !memcmp(e->addr, v4, sizeof(v4));
	char a[INET6_ADDRSTRLEN];
	int n;

	if (!inet_ntop(is_v4 ? AF_INET : AF_INET6, is_v4 ? e->addr + 12 : e->addr, a, sizeof(a)))
		return -errno;
	n = snprintf(buf, len, "%s/%u", a, e->bits - (is_v4 ? DP_V4_BITS : 0));
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	return 0;
}

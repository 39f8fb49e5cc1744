// SPDX-License-Identifier: BSD-3-Clause
/* Userspace reference of the data plane's security trailer: SipHash-2-4, HKDF key, stamp, verify. */
#include <errno.h>
#include <string.h>

#include "groupkey/crypto.h"
#include "groupkey/dptag.h"
#include "groupkey/err.h"

#define GK_SIP_ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

struct gk_sip {
	uint64_t v0, v1, v2, v3;
};

static uint64_t gk_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint32_t gk_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void gk_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void gk_put_be32(uint8_t *p, uint32_t v)
{
	for (int i = 3; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static void gk_put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static void gk_sip_round(struct gk_sip *s)
{
	s->v0 += s->v1;
	s->v1 = GK_SIP_ROTL(s->v1, 13);
	s->v1 ^= s->v0;
	s->v0 = GK_SIP_ROTL(s->v0, 32);
	s->v2 += s->v3;
	s->v3 = GK_SIP_ROTL(s->v3, 16);
	s->v3 ^= s->v2;
	s->v0 += s->v3;
	s->v3 = GK_SIP_ROTL(s->v3, 21);
	s->v3 ^= s->v0;
	s->v2 += s->v1;
	s->v1 = GK_SIP_ROTL(s->v1, 17);
	s->v1 ^= s->v2;
	s->v2 = GK_SIP_ROTL(s->v2, 32);
}

static void gk_sip_init(struct gk_sip *s, uint64_t k0, uint64_t k1)
{
	s->v0 = k0 ^ 0x736f6d6570736575ULL;
	s->v1 = k1 ^ 0x646f72616e646f6dULL;
	s->v2 = k0 ^ 0x6c7967656e657261ULL;
	s->v3 = k1 ^ 0x7465646279746573ULL;
}

static void gk_sip_word(struct gk_sip *s, uint64_t m)
{
	s->v3 ^= m;
	gk_sip_round(s);
	gk_sip_round(s);
	s->v0 ^= m;
}

/* Whole words of msg; returns how many bytes it consumed. */
static size_t gk_sip_words(struct gk_sip *s, const uint8_t *msg, size_t len)
{
	size_t off;

	for (off = 0; off + 8 <= len; off += 8)
		gk_sip_word(s, gk_le64(msg + off));
	return off;
}

/* The last 0..7 bytes and the total length (mod 256) in the top byte, then finalization. */
static uint64_t gk_sip_final(struct gk_sip *s, const uint8_t *tail, size_t n, size_t total)
{
	uint64_t b = (uint64_t)total << 56;

	for (size_t i = 0; i < n; i++)
		b |= (uint64_t)tail[i] << (8 * i);
	gk_sip_word(s, b);
	s->v2 ^= 0xff;
	for (int i = 0; i < 4; i++)
		gk_sip_round(s);
	return s->v0 ^ s->v1 ^ s->v2 ^ s->v3;
}

uint64_t gk_siphash24(uint64_t k0, uint64_t k1, const void *msg, size_t len)
{
	struct gk_sip s;
	size_t off;

	gk_sip_init(&s, k0, k1);
	off = gk_sip_words(&s, msg, len);
	return gk_sip_final(&s, (const uint8_t *)msg + off, len - off, len);
}

void gk_dp_group_ipv4(struct gk_dp_group_key *g, const void *addr, uint16_t port)
{
	memset(g, 0, sizeof(*g));
	g->addr[10] = 0xff;
	g->addr[11] = 0xff;
	memcpy(g->addr + 12, addr, 4);
	gk_put_be16((uint8_t *)&g->port, port);
}

void gk_dp_group_ipv6(struct gk_dp_group_key *g, const void *addr, uint16_t port)
{
	memset(g, 0, sizeof(*g));
	memcpy(g->addr, addr, 16);
	gk_put_be16((uint8_t *)&g->port, port);
}

int gk_dp_derive_key(const uint8_t *group_key, size_t key_len, const char *group, uint32_t key_id,
		     struct gk_dp_key *out)
{
	uint8_t info[sizeof(GK_DP_HKDF_LABEL) - 1 + GK_DP_GROUP_NAME_MAX + 4];
	size_t label_len = sizeof(GK_DP_HKDF_LABEL) - 1, group_len, info_len;
	uint8_t okm[16];
	int err;

	if (!group_key || !key_len || !group)
		return -EINVAL;
	group_len = strnlen(group, GK_DP_GROUP_NAME_MAX + 1);
	if (group_len > GK_DP_GROUP_NAME_MAX)
		return -EINVAL;
	memcpy(info, GK_DP_HKDF_LABEL, label_len);
	memcpy(info + label_len, group, group_len);
	gk_put_be32(info + label_len + group_len, key_id);
	info_len = label_len + group_len + 4;
	err = gk_hkdf_sha256(NULL, 0, group_key, key_len, info, info_len, okm, sizeof(okm));
	if (!err) {
		out->k0 = gk_le64(okm);
		out->k1 = gk_le64(okm + 8);
	}
	gk_wipe(okm, sizeof(okm));
	return err;
}

void gk_dp_trailer_build(uint8_t out[GK_DP_TRAILER_LEN], const struct gk_dp_meta *meta,
			 const uint8_t *tag)
{
	memset(out, 0, GK_DP_TRAILER_LEN);
	out[offsetof(struct gk_dp_trailer, version)] = GK_DP_VERSION;
	gk_put_be32(out + offsetof(struct gk_dp_trailer, key_id), meta->key_id);
	gk_put_be32(out + offsetof(struct gk_dp_trailer, sender_id), meta->sender_id);
	gk_put_be64(out + offsetof(struct gk_dp_trailer, seq), meta->seq);
	if (tag)
		memcpy(out + offsetof(struct gk_dp_trailer, tag), tag, GK_DP_TAG_LEN);
}

int gk_dp_trailer_parse(const uint8_t *dgram, size_t len, struct gk_dp_meta *meta, size_t *plen)
{
	const uint8_t *tr;

	if (len < GK_DP_TRAILER_LEN)
		return -GK_ETRUNCATED;
	tr = dgram + len - GK_DP_TRAILER_LEN;
	if (tr[0] != GK_DP_VERSION || tr[1] || tr[2] || tr[3])
		return -GK_EMALFORMED;
	meta->key_id = gk_be32(tr + offsetof(struct gk_dp_trailer, key_id));
	meta->sender_id = gk_be32(tr + offsetof(struct gk_dp_trailer, sender_id));
	meta->seq = (uint64_t)gk_be32(tr + offsetof(struct gk_dp_trailer, seq)) << 32 |
		    gk_be32(tr + offsetof(struct gk_dp_trailer, seq) + 4);
	*plen = len - GK_DP_TRAILER_LEN;
	return 0;
}

void gk_dp_tag(const struct gk_dp_key *key, const struct gk_dp_group_key *g,
	       const struct gk_dp_meta *meta, const uint8_t *payload, size_t len,
	       uint8_t tag[GK_DP_TAG_LEN])
{
	uint8_t prefix[GK_DP_TAG_PREFIX_LEN] = { 0 }, tr[GK_DP_TRAILER_LEN];
	struct gk_sip s;
	uint64_t t;
	size_t off;

	_Static_assert(sizeof(*g) + GK_DP_TRAILER_LEN - GK_DP_TAG_LEN == GK_DP_TAG_PREFIX_LEN,
		       "tag prefix is the group key and the trailer without its tag");
	memcpy(prefix, g->addr, sizeof(g->addr));
	memcpy(prefix + sizeof(g->addr), &g->port, sizeof(g->port));
	gk_dp_trailer_build(tr, meta, NULL);
	memcpy(prefix + sizeof(*g), tr, GK_DP_TRAILER_LEN - GK_DP_TAG_LEN);

	gk_sip_init(&s, key->k0, key->k1);
	gk_sip_words(&s, prefix, sizeof(prefix));
	off = gk_sip_words(&s, payload, len);
	t = gk_sip_final(&s, payload + off, len - off, sizeof(prefix) + len);
	for (int i = 0; i < GK_DP_TAG_LEN; i++, t >>= 8)
		tag[i] = (uint8_t)t;
}

int gk_dp_stamp(const struct gk_dp_key *key, const struct gk_dp_group_key *g,
		const struct gk_dp_meta *meta, uint8_t *buf, size_t len, size_t cap,
		size_t *out_len)
{
	uint8_t tag[GK_DP_TAG_LEN];

	if (len > GK_DP_MAX_PAYLOAD)
		return -EMSGSIZE;
	if (cap < len + GK_DP_TRAILER_LEN)
		return -ENOBUFS;
	gk_dp_tag(key, g, meta, buf, len, tag);
	gk_dp_trailer_build(buf + len, meta, tag);
	*out_len = len + GK_DP_TRAILER_LEN;
	return 0;
}

enum gk_dp_verdict gk_dp_peek(const uint8_t *dgram, size_t len, struct gk_dp_meta *meta,
			      size_t *plen)
{
	/* The same order as XDP: lengths, then size, then the trailer's version. */
	if (len < GK_DP_TRAILER_LEN)
		return GK_DP_V_MALFORMED;
	if (len - GK_DP_TRAILER_LEN > GK_DP_MAX_PAYLOAD)
		return GK_DP_V_TOO_BIG;
	if (gk_dp_trailer_parse(dgram, len, meta, plen))
		return GK_DP_V_MALFORMED;
	return GK_DP_V_PASS;
}

enum gk_dp_verdict gk_dp_verify(const struct gk_dp_group_key *g, const struct gk_dp_key *key,
				uint64_t now_tai_ns, struct gk_dp_window *win, const uint8_t *dgram,
				size_t len, size_t *plen)
{
	uint8_t tag[GK_DP_TAG_LEN];
	enum gk_dp_verdict v;
	struct gk_dp_meta meta;
	size_t n;

	v = gk_dp_peek(dgram, len, &meta, &n);
	if (v != GK_DP_V_PASS)
		return v;
	if (!key)
		return GK_DP_V_UNKNOWN_KEY;
	if (now_tai_ns > key->recv_not_after_ns)
		return GK_DP_V_EXPIRED;
	gk_dp_tag(key, g, &meta, dgram, n, tag);
	if (gk_memcmp_ct(tag, dgram + n + offsetof(struct gk_dp_trailer, tag), GK_DP_TAG_LEN))
		return GK_DP_V_BAD_TAG;
	if (win && gk_dp_replay_update(&win->top, &win->window, meta.seq))
		return GK_DP_V_REPLAY;
	*plen = n;
	return GK_DP_V_PASS;
}

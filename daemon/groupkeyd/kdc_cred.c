// SPDX-License-Identifier: BSD-3-Clause
/* Credentials: the KDC's P-256 key pair and CCS, members' client_cred, proofs of possession. */

/*
 * - The KDC's private key lives in STATE_DIR/kdc-cred.key: 64 hex digits
 *   and a newline, mode 0600, created exclusively at first start (as
 *   as-kdc.key is) and never rewritten. A file with group or other access,
 *   owned by someone else than us or root, or not holding a valid P-256
 *   scalar stops the start-up: a KDC that silently made a new key would
 *   break every member's pinned kdc_cred.
 * - The KDC's credential is the CCS {2 sub: the KDC audience, 8 cnf:
 *   {1 COSE_Key: {1: 2, -1: 1, -2: x, -3: y}}} (docs/profile.md REQ8).
 * - A client_cred is either a CCS (a map with 8 cnf holding 1 COSE_Key; it
 *   is stored and handed out byte for byte as sent) or a bare COSE_Key (a
 *   map with 1 kty; its public part is stored wrapped as {8: {1: key}}).
 *   Both must be EC2 P-256 without d and without an alg other than ES256;
 *   undecodable bytes, another key type or curve, a private key, more than
 *   GKD_CRED_MAX bytes: error 2 (incompatible with the group).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keyfile.h"
#include "kdc_int.h"
#include "groupkey/crypto.h"
#include "groupkey/err.h"
#include "groupkey/log.h"
#include "groupkey/util.h"

#define KDC_KEY_NAME "kdc-cred.key"
#define KDC_KEY_FILE_MAX 256
#define CCS_SUB 2
#define CCS_CNF 8

static const struct gk_cbor_limits cred_limits = {
	.max_input = GKD_CRED_MAX,
	.max_depth = 6,
	.max_items = 128,
	.max_str_len = GKD_CRED_MAX,
};

/* --- the KDC's key file --------------------------------------------------- */

static int key_file_parse(const uint8_t *buf, size_t n, const char *path, uint8_t d[32], char *msg,
			  size_t len)
{
	uint8_t *bin = NULL;
	size_t bin_len = 0;
	int err = gk_hex_decode((const char *)buf, n, &bin, &bin_len);

	if (!err && bin_len != 32)
		err = -EINVAL;
	if (!err)
		memcpy(d, bin, 32);
	if (bin) {
		gk_wipe(bin, bin_len);
		free(bin);
	}
	if (err)
		snprintf(msg, len, "%s: not 64 hex digits of a P-256 private key", path);
	return err ? -EINVAL : 0;
}

static int key_file_load(const char *path, uint8_t d[32], char *msg, size_t len)
{
	uint8_t buf[KDC_KEY_FILE_MAX];
	size_t got = 0;
	int err;

	err = gkd_keyfile_read(path, true, buf, sizeof(buf), &got, msg, len);
	if (!err)
		err = key_file_parse(buf, got, path, d, msg, len);
	gk_wipe(buf, sizeof(buf));
	return err;
}

static int key_file_create(const char *path, struct gk_rng *rng, uint8_t d[32], char *msg,
			   size_t len)
{
	uint8_t x[32], y[32];
	int err;

	err = gk_p256_keygen(rng, d, x, y);
	if (err) {
		snprintf(msg, len, "%s: key generation failed", path);
		return err;
	}
	err = gkd_keyfile_create_hex(path, d, 32, msg, len);
	if (!err)
		pr_info("kdc: created the KDC key pair in %s", path);
	return err;
}

/* {2: sub, 8: {1: {1: 2, -1: 1, -2: x, -3: y}}} */
static int kdc_ccs(struct gkd_kdc *kdc)
{
	struct gk_enc e;

	gk_enc_init_fixed(&e, kdc->cred, sizeof(kdc->cred));
	gk_enc_map(&e, 2);
	gk_enc_uint(&e, CCS_SUB);
	gk_enc_tstr(&e, kdc->cfg->kdc_audience);
	gk_enc_uint(&e, CCS_CNF);
	gk_enc_map(&e, 1);
	gk_enc_uint(&e, GK_CNF_COSE_KEY);
	gk_enc_map(&e, 4);
	gk_enc_uint(&e, GK_COSE_KEY_KTY);
	gk_enc_uint(&e, GK_COSE_KTY_EC2);
	gk_enc_int(&e, GK_COSE_KEY_CRV);
	gk_enc_uint(&e, GK_COSE_CRV_P256);
	gk_enc_int(&e, GK_COSE_KEY_X);
	gk_enc_bstr(&e, kdc->x, 32);
	gk_enc_int(&e, GK_COSE_KEY_Y);
	gk_enc_bstr(&e, kdc->y, 32);
	kdc->cred_len = e.len;
	return e.err;
}

int kdc_cred_init(struct gkd_kdc *kdc, char *err, size_t err_len)
{
	char path[PATH_MAX];
	int ret;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", kdc->cfg->state_dir, KDC_KEY_NAME) >=
	    sizeof(path)) {
		snprintf(err, err_len, "%s: %s", kdc->cfg->state_dir, strerror(ENAMETOOLONG));
		return -ENAMETOOLONG;
	}
	ret = key_file_load(path, kdc->d, err, err_len);
	if (ret == -ENOENT)
		ret = key_file_create(path, kdc->rng, kdc->d, err, err_len);
	/* Lost a creation race with another instance: take its key. */
	if (ret == -EEXIST)
		ret = key_file_load(path, kdc->d, err, err_len);
	if (ret)
		return ret;
	ret = gk_p256_public(kdc->rng, kdc->d, kdc->x, kdc->y);
	if (ret) {
		snprintf(err, err_len, "%s: not a valid P-256 private key", path);
		return ret;
	}
	return kdc_ccs(kdc);
}

/* --- members' credentials ------------------------------------------------- */

static int cred_key(const cbor_item_t *map, struct gk_cose_key *key)
{
	int err = gk_cose_key_from_item(map, key);

	if (err == -ENOMEM)
		return err;
	if (err || key->kty != GK_COSE_KTY_EC2 || key->crv != GK_COSE_CRV_P256 || key->has_d ||
	    (key->has_alg && key->alg != GK_COSE_ALG_ES256)) {
		gk_cose_key_wipe(key);
		return -GK_EKEY;
	}
	return 0;
}

/* The public COSE_Key re-encoded inside {8: {1: key}}. */
static int cred_wrap(const struct gk_cose_key *key, struct gk_enc *stored)
{
	gk_enc_map(stored, 1);
	gk_enc_uint(stored, CCS_CNF);
	gk_enc_map(stored, 1);
	gk_enc_uint(stored, GK_CNF_COSE_KEY);
	return gk_cose_key_encode(stored, key, false);
}

int kdc_cred_parse(const uint8_t *buf, size_t len, struct gk_cose_key *key, struct gk_enc *stored)
{
	const cbor_item_t *cnf, *inner;
	cbor_item_t *root = NULL;
	bool is_key, is_ccs;
	int err;

	memset(key, 0, sizeof(*key));
	if (!len || len > GKD_CRED_MAX)
		return -GK_EKEY;
	err = gk_cbor_decode(buf, len, &cred_limits, &root);
	if (err)
		return err == -ENOMEM ? err : -GK_EKEY;
	is_key = cbor_isa_map(root) && gk_cbor_map_get_int(root, GK_COSE_KEY_KTY);
	cnf = cbor_isa_map(root) ? gk_cbor_map_get_int(root, CCS_CNF) : NULL;
	is_ccs = cnf != NULL;
	err = -GK_EKEY;
	if (is_key && !is_ccs) {
		err = cred_key(root, key);
		if (!err)
			err = cred_wrap(key, stored);
	} else if (is_ccs && !is_key && cbor_isa_map(cnf)) {
		inner = gk_cbor_map_get_int(cnf, GK_CNF_COSE_KEY);
		err = inner && cbor_isa_map(inner) ? cred_key(inner, key) : -GK_EKEY;
		if (!err)
			err = gk_enc_raw(stored, buf, len);
	}
	cbor_decref(&root);
	if (err)
		gk_cose_key_wipe(key);
	return err;
}

/* --- proof of possession --------------------------------------------------- */

int gkd_kdc_pop_input(struct gk_enc *e, const uint8_t *scope, size_t scope_len, const uint8_t *n_s,
		      size_t n_s_len, const uint8_t *n_c, size_t n_c_len)
{
	if (scope)
		gk_enc_bstr(e, scope, scope_len);
	gk_enc_bstr(e, n_s, n_s_len);
	return gk_enc_bstr(e, n_c, n_c_len);
}

int kdc_pop_verify(const struct gk_cose_key *key, const uint8_t *scope, size_t scope_len,
		   const uint8_t *n_s, size_t n_s_len, const uint8_t *n_c, size_t n_c_len,
		   const uint8_t *sig, size_t sig_len)
{
	struct gk_enc e;
	int err;

	if (sig_len != KDC_SIG_LEN)
		return -GK_EBADSIG;
	gk_enc_init(&e);
	err = gkd_kdc_pop_input(&e, scope, scope_len, n_s, n_s_len, n_c, n_c_len);
	if (!err)
		err = gk_p256_verify(key->x, key->y, e.buf, e.len, sig);
	gk_enc_free(&e);
	return err == -GK_EKEY ? -GK_EBADSIG : err;
}

int kdc_pop_sign(struct gkd_kdc *kdc, const uint8_t *n_c, size_t n_c_len,
		 uint8_t n_kdc[GK_GC_NONCE_LEN], uint8_t sig[KDC_SIG_LEN])
{
	uint8_t buf[2 * (GKD_NONCE_MAX + 2)];
	struct gk_enc e;
	int err;

	err = gk_random(kdc->rng, n_kdc, GK_GC_NONCE_LEN);
	if (err)
		return err;
	gk_enc_init_fixed(&e, buf, sizeof(buf));
	err = gkd_kdc_pop_input(&e, NULL, 0, n_c, n_c_len, n_kdc, GK_GC_NONCE_LEN);
	if (!err)
		err = gk_p256_sign(kdc->rng, kdc->d, e.buf, e.len, sig);
	return err;
}

// SPDX-License-Identifier: BSD-3-Clause
/* JSON claims (input of `groupkey token create`) to struct gk_cwt_claims, strictly. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "groupkey/crypto.h"
#include "groupkey/cwt.h"

static int why_set(char *why, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int why_set(char *why, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int dup_str(const json_t *v, char **out)
{
	const char *s = json_string_value(v);

	if (!s)
		return -EINVAL;
	*out = strdup(s);
	return *out ? 0 : -ENOMEM;
}

static int get_int(const json_t *v, int64_t *out)
{
	if (!json_is_integer(v))
		return -EINVAL;
	*out = json_integer_value(v);
	return 0;
}

/* "h'..'"/bare hex into a fixed buffer of at most max bytes. */
static int fixed_bstr(const json_t *v, uint8_t *dst, size_t max, size_t *len)
{
	uint8_t *buf;
	size_t n;
	int err = cli_json_bstr(v, &buf, &n);

	if (err)
		return err;
	if (n > max) {
		gk_wipe(buf, n);
		free(buf);
		return -EINVAL;
	}
	memcpy(dst, buf, n);
	*len = n;
	gk_wipe(buf, n);
	free(buf);
	return 0;
}

static int key_member(const char *name, const json_t *v, struct gk_cose_key *k)
{
	size_t n;
	int64_t i;

	if (!strcmp(name, "kty") && !get_int(v, &i))
		return k->kty = (int)i, 0;
	if (!strcmp(name, "alg") && !get_int(v, &i))
		return k->alg = i, k->has_alg = true, 0;
	if (!strcmp(name, "crv") && !get_int(v, &i))
		return k->crv = (int)i, 0;
	if (!strcmp(name, "kid"))
		return fixed_bstr(v, k->kid, sizeof(k->kid), &k->kid_len);
	if (!strcmp(name, "k"))
		return fixed_bstr(v, k->k, sizeof(k->k), &k->k_len);
	if (!strcmp(name, "x"))
		return fixed_bstr(v, k->x, sizeof(k->x), &n) ?: (n == 32 ? 0 : -EINVAL);
	if (!strcmp(name, "y"))
		return fixed_bstr(v, k->y, sizeof(k->y), &n) ?: (n == 32 ? 0 : -EINVAL);
	if (!strcmp(name, "d")) {
		k->has_d = true;
		return fixed_bstr(v, k->d, sizeof(k->d), &n) ?: (n == 32 ? 0 : -EINVAL);
	}
	return -EINVAL;
}

static int cnf_from_json(const json_t *cnf, struct gk_cwt_claims *c, char *why, size_t n)
{
	const json_t *key = json_object_get(cnf, "COSE_Key");
	const json_t *kid = json_object_get(cnf, "kid");
	const char *name;
	json_t *v;

	if (!json_is_object(cnf) || json_object_size(cnf) != 1 || (!key == !kid))
		return why_set(why, n, "cnf must hold exactly one of COSE_Key, kid");
	if (kid) {
		c->cnf_type = GK_CNF_KID_ONLY;
		if (fixed_bstr(kid, c->cnf_key.kid, sizeof(c->cnf_key.kid), &c->cnf_key.kid_len))
			return why_set(why, n, "cnf.kid must be h'hex' of at most %zu bytes",
				       sizeof(c->cnf_key.kid));
		return 0;
	}
	if (!json_is_object(key))
		return why_set(why, n, "cnf.COSE_Key must be an object");
	c->cnf_type = GK_CNF_KEY;
	json_object_foreach((json_t *)key, name, v) {
		if (key_member(name, v, &c->cnf_key))
			return why_set(why, n, "cnf.COSE_Key.%s: unknown member or bad value", name);
	}
	return 0;
}

static int scope_from_json(const json_t *v, struct gk_cwt_claims *c)
{
	const char *s = json_string_value(v);

	if (!s)
		return -EINVAL;
	if (!strncmp(s, "h'", 2))
		return cli_json_bstr(v, &c->scope, &c->scope_len);
	c->scope_is_text = true;
	c->scope_len = strlen(s);
	c->scope = (uint8_t *)strdup(s);
	return c->scope ? 0 : -ENOMEM;
}

static int aud_from_json(const json_t *v, struct gk_cwt_claims *c)
{
	size_t i;
	json_t *e;

	if (json_is_string(v))
		return gk_cwt_claims_set_aud(c, json_string_value(v));
	if (!json_is_array(v) || !json_array_size(v) || json_array_size(v) > GK_CWT_AUD_MAX)
		return -EINVAL;
	c->aud_is_array = true;
	json_array_foreach(v, i, e) {
		if (dup_str(e, &c->aud[c->n_aud]))
			return -EINVAL;
		c->n_aud++;
	}
	return 0;
}

static int claim_member(const char *name, const json_t *v, struct gk_cwt_claims *c)
{
	int64_t u;

	if (!strcmp(name, "iss"))
		return dup_str(v, &c->iss);
	if (!strcmp(name, "sub"))
		return dup_str(v, &c->sub);
	if (!strcmp(name, "aud"))
		return aud_from_json(v, c);
	if (!strcmp(name, "exp"))
		return c->has_exp = true, get_int(v, &c->exp);
	if (!strcmp(name, "nbf"))
		return c->has_nbf = true, get_int(v, &c->nbf);
	if (!strcmp(name, "iat"))
		return c->has_iat = true, get_int(v, &c->iat);
	if (!strcmp(name, "exi")) {
		c->has_exi = true;
		if (get_int(v, &u) || u < 0)
			return -EINVAL;
		c->exi = (uint64_t)u;
		return 0;
	}
	if (!strcmp(name, "cti"))
		return cli_json_bstr(v, &c->cti, &c->cti_len);
	if (!strcmp(name, "scope"))
		return scope_from_json(v, c);
	return -EINVAL;
}

int claims_from_json(const json_t *j, struct gk_cwt_claims *c, char *why, size_t why_len)
{
	const char *name;
	json_t *v;

	if (!json_is_object(j))
		return why_set(why, why_len, "the claims must be a JSON object");
	json_object_foreach((json_t *)j, name, v) {
		int err;

		if (!strcmp(name, "cnf"))
			err = cnf_from_json(v, c, why, why_len);
		else if ((err = claim_member(name, v, c)))
			why_set(why, why_len, "claim '%s': unknown or of the wrong type", name);
		if (err)
			return err;
	}
	return 0;
}

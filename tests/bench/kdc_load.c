// SPDX-License-Identifier: BSD-3-Clause
/* Load generator for scripts/bench-kdc: concurrent joins over DTLS-PSK, and rekey fan-out. */

/*
 * One process, one libcoap context, many client sessions (a state machine
 * per slot). Each member: a token made here with the AS-KDC key (as the
 * embedded AS would make it, without its DTLS round trip), POST
 * /authz-info over plain CoAP for N_S, a DTLS-PSK handshake with the kid
 * identity, then the Join (with a client_cred and its ES256 PoP, or
 * without). The Join's latency is from sending it on the established
 * session to its answer; a member's admission time from its token's POST
 * to that answer.
 *
 *   kdc_load join HOST COAP_PORT COAPS_PORT GROUP N CONC POP KID_BASE
 *   kdc_load observe HOST COAP_PORT COAPS_PORT GROUP N CONC KID_BASE
 *   kdc_load trigger HOST COAP_PORT COAPS_PORT GROUP KID_BASE
 *
 * join: N members, CONC at a time; prints one JSON line with the counts,
 * joins per second, and the p50/p99 of Join latency and admission time.
 * KDC_LOAD_MAX_SECONDS in the environment bounds a join run: no member is
 * started after it, and the counts say how many were admitted.
 * observe: N members join (no PoP) and keep their sessions to observe
 * /ace-group/GROUP; once every registration is in and all is quiet for a
 * second it prints {"ready": N} and waits (90 s, or KDC_LOAD_WAIT_SECONDS) until every
 * observer holds a newer num, then prints when the first and the last got
 * it (CLOCK_MONOTONIC microseconds). trigger: one member joins and leaves
 * (the group must rekey on leave, not on join); prints the time of the
 * leave's answer on the same clock. libcoap 4.3.1's GnuTLS glue calls
 * select() on a client session's socket, so one process stays below
 * FD_SETSIZE (1024) sessions: scripts/bench-kdc runs several observers.
 * Bench code: it aborts on what it does
 * not expect.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <coap3/coap.h>

#include "groupkey/cose.h"
#include "groupkey/crypto.h"
#include "groupkey/cwt.h"
#include "groupkey/gc_client.h"
#include "groupkey/util.h"

#define AS_KDC_KEY "a40104024641532d4b4443030a2050000102030405060708090a0b0c0d0e0f"
#define CF_CWT 61
#define CF_GROUPCOMM 261
#define LEAVE_WAIT_MS 30000
#define HS_RETRY_US 10000000

enum state { S_IDLE, S_AUTHZ, S_HANDSHAKE, S_JOIN, S_OBS_REG, S_OBSERVING, S_LEAVE, S_DONE };
enum kind { K_LANE = 1, K_SLOT };

struct slot;

/* One of CONC pipelines: a plain session for /authz-info and the member it admits now. */
struct lane {
	enum kind kind;
	coap_session_t *plain;
	struct slot *cur;
};

/* A member: its DTLS session and where it is. */
struct slot {
	enum kind kind;
	enum state st;
	struct lane *lane;
	coap_session_t *dtls;
	uint32_t member; /* its number: kid and key derive from it */
	uint8_t kid[8], key[16];
	uint8_t ns[32];
	size_t ns_len;
	char node[32];
	uint32_t num; /* observe: the num it holds */
	uint64_t t_start, t_join, t_hs;
	uint64_t t_notified;
};

struct bench {
	coap_context_t *ctx;
	coap_address_t plain_addr, dtls_addr;
	struct gk_rng *rng;
	struct gk_cose_key as_key;
	const char *group;
	bool pop, observe;
	uint32_t kid_base, n, started, done, errors, hs_retries;
	uint64_t stop_us; /* KDC_LOAD_MAX_SECONDS: no new member after it (0: none) */
	struct slot *slots;
	size_t n_slots;
	struct lane *lanes;
	size_t n_lanes;
	uint8_t d[32], x[32], y[32];
	struct gk_enc ccs;
	double *join_ms, *admit_ms;
	size_t n_lat;
	/* observe */
	uint32_t registered, baseline, notified;
	uint64_t t_last_event, t_trigger, t_first, t_last;
	struct slot trigger;
};

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void fail(const char *what)
{
	fprintf(stderr, "kdc_load: %s\n", what);
	exit(1);
}

/* kid: 8 bytes without 0x00 (it travels in a C-string PSK identity), from the member number. */
static void member_ids(struct bench *b, struct slot *s, uint32_t member)
{
	uint64_t v = (uint64_t)b->kid_base + member;

	s->member = member;
	for (int i = 7; i >= 0; i--, v /= 255)
		s->kid[i] = (uint8_t)(v % 255 + 1);
	gk_random(b->rng, s->key, sizeof(s->key));
}

static int make_token(struct bench *b, struct slot *s, struct gk_enc *out)
{
	uint8_t scope[96];
	struct gk_enc se;
	struct gk_scope sc = { .n = 1 };
	struct gk_cwt_claims c = { .iss = "groupkeyd-as", .has_exp = true };
	struct gk_cwt_layer layer = { .key = &b->as_key,
				      .alg = GK_COSE_ALG_AES_CCM_16_64_128,
				      .flags = GK_COSE_KID };

	snprintf(sc.e[0].group, sizeof(sc.e[0].group), "%s", b->group);
	sc.e[0].roles = GK_ROLE_BIT(GK_ROLE_SENDER) | GK_ROLE_BIT(GK_ROLE_RECEIVER);
	gk_enc_init_fixed(&se, scope, sizeof(scope));
	if (gk_scope_encode(&se, &sc))
		return -EINVAL;
	c.aud[0] = "groupkeyd-kdc";
	c.n_aud = 1;
	c.exp = (int64_t)time(NULL) + 36000;
	c.scope = scope;
	c.scope_len = se.len;
	c.cnf_type = GK_CNF_KEY;
	c.cnf_key.kty = GK_COSE_KTY_SYMMETRIC;
	memcpy(c.cnf_key.kid, s->kid, sizeof(s->kid));
	c.cnf_key.kid_len = sizeof(s->kid);
	memcpy(c.cnf_key.k, s->key, sizeof(s->key));
	c.cnf_key.k_len = sizeof(s->key);
	return gk_cwt_create(out, &c, &layer, 1, false, b->rng);
}

static void send_pdu(coap_session_t *session, coap_pdu_code_t code, const char *p1, const char *p2,
		     const char *p3, const char *p4, int cf, const uint8_t *body, size_t len,
		     int observe)
{
	const char *segs[] = { p1, p2, p3, p4 };
	uint8_t tok[8], buf[4];
	size_t tok_len = sizeof(tok);
	coap_pdu_t *pdu = coap_pdu_init(COAP_MESSAGE_CON, code, coap_new_message_id(session),
					coap_session_max_pdu_size(session));

	if (!pdu)
		fail("pdu");
	coap_session_new_token(session, &tok_len, tok);
	coap_add_token(pdu, tok_len, tok);
	if (observe >= 0)
		coap_add_option(pdu, COAP_OPTION_OBSERVE,
				coap_encode_var_safe(buf, sizeof(buf), (unsigned)observe), buf);
	for (size_t i = 0; i < 4 && segs[i]; i++)
		coap_add_option(pdu, COAP_OPTION_URI_PATH, strlen(segs[i]),
				(const uint8_t *)segs[i]);
	if (cf >= 0)
		coap_add_option(pdu, COAP_OPTION_CONTENT_FORMAT,
				coap_encode_var_safe(buf, sizeof(buf), (unsigned)cf), buf);
	if (len && !coap_add_data(pdu, len, body))
		fail("payload too large");
	if (coap_send(session, pdu) == COAP_INVALID_MID)
		fail("send");
}

static void start_member(struct bench *b, struct lane *l, struct slot *s, uint32_t member)
{
	struct gk_enc tok;

	s->kind = K_SLOT;
	s->lane = l;
	l->cur = s;
	member_ids(b, s, member);
	gk_enc_init(&tok);
	if (make_token(b, s, &tok))
		fail("token");
	s->t_start = now_us();
	s->st = S_AUTHZ;
	send_pdu(l->plain, COAP_REQUEST_CODE_POST, "authz-info", NULL, NULL, NULL, CF_CWT, tok.buf,
		 tok.len, -1);
	gk_enc_free(&tok);
}

static void open_dtls(struct bench *b, struct slot *s)
{
	uint8_t id[32];
	struct gk_enc e;
	coap_dtls_cpsk_t cpsk = { .version = COAP_DTLS_CPSK_SETUP_VERSION };

	gk_enc_init_fixed(&e, id, sizeof(id));
	gk_enc_map(&e, 1);
	gk_enc_uint(&e, 8);
	gk_enc_map(&e, 1);
	gk_enc_uint(&e, 1);
	gk_enc_map(&e, 2);
	gk_enc_uint(&e, 1);
	gk_enc_uint(&e, 4);
	gk_enc_uint(&e, 2);
	gk_enc_bstr(&e, s->kid, sizeof(s->kid));
	cpsk.psk_info.identity.s = id;
	cpsk.psk_info.identity.length = e.len;
	cpsk.psk_info.key.s = s->key;
	cpsk.psk_info.key.length = sizeof(s->key);
	s->dtls = coap_new_client_session_psk2(b->ctx, NULL, &b->dtls_addr, COAP_PROTO_DTLS, &cpsk);
	if (!s->dtls)
		fail("DTLS session");
	coap_session_set_app_data(s->dtls, s);
	s->st = S_HANDSHAKE;
	s->t_hs = now_us();
}

static void send_join(struct bench *b, struct slot *s)
{
	static const uint8_t nc[8] = { 'k', 'd', 'c', '-', 'l', 'o', 'a', 'd' };
	uint8_t scope[80], sig[64], body[512];
	struct gk_scope_entry en = { .roles = GK_ROLE_BIT(GK_ROLE_SENDER) |
					      GK_ROLE_BIT(GK_ROLE_RECEIVER) };
	struct gk_gc_join j = { .cnonce = nc, .cnonce_len = sizeof(nc) };
	struct gk_enc se, e;

	snprintf(en.group, sizeof(en.group), "%s", b->group);
	gk_enc_init_fixed(&se, scope, sizeof(scope));
	gk_scope_entry_encode(&se, &en, false);
	j.scope = scope;
	j.scope_len = se.len;
	if (b->pop) {
		if (gk_gc_pop_sign(b->rng, b->d, scope, se.len, s->ns, s->ns_len, nc, sizeof(nc),
				   sig))
			fail("PoP");
		j.client_cred = b->ccs.buf;
		j.client_cred_len = b->ccs.len;
		j.client_cred_verify = sig;
		j.client_cred_verify_len = sizeof(sig);
	}
	gk_enc_init_fixed(&e, body, sizeof(body));
	if (gk_gc_join_encode(&e, &j))
		fail("join encode");
	s->st = S_JOIN;
	s->t_join = now_us();
	send_pdu(s->dtls, COAP_REQUEST_CODE_POST, "ace-group", b->group, NULL, NULL, CF_GROUPCOMM,
		 body, e.len, -1);
}

/* The lane of s takes the next member: in s itself, or (observers keep theirs) the next slot. */
static void next_member(struct bench *b, struct slot *s)
{
	struct lane *l = s->lane;

	if (!b->observe && s->dtls) {
		coap_session_release(s->dtls);
		s->dtls = NULL;
		s->st = S_DONE;
	}
	if (b->started >= b->n || (b->stop_us && now_us() > b->stop_us))
		return;
	start_member(b, l, b->observe ? &b->slots[b->started] : s, b->started);
	b->started++;
}

static uint32_t payload_num(const coap_pdu_t *pdu)
{
	const uint8_t *data;
	size_t len = 0, off = 0, total = 0;
	struct gk_gc_keying k;

	if (!coap_get_data_large(pdu, &len, &data, &off, &total) ||
	    gk_gc_keying_parse(data, len, &k))
		return 0;
	return k.num;
}

static int code_of(const coap_pdu_t *pdu)
{
	unsigned c = coap_pdu_get_code(pdu);

	return (int)(c >> 5) * 100 + (int)(c & 0x1f);
}

static void on_authz(struct bench *b, struct slot *s, const coap_pdu_t *rcv)
{
	const uint8_t *data, *ns;
	size_t len = 0, off = 0, total = 0;
	cbor_item_t *it = NULL;

	if (code_of(rcv) != 201 || !coap_get_data_large(rcv, &len, &data, &off, &total) ||
	    gk_cbor_decode(data, len, NULL, &it) ||
	    gk_cbor_get_bstr(gk_cbor_map_get_int(it, 46), &ns, &s->ns_len) ||
	    s->ns_len > sizeof(s->ns))
		fail("/authz-info did not answer 2.01 {46: N_S}");
	memcpy(s->ns, ns, s->ns_len);
	cbor_decref(&it);
	open_dtls(b, s);
}

static void on_join(struct bench *b, struct slot *s, const coap_pdu_t *rcv)
{
	uint64_t t = now_us();
	coap_opt_iterator_t it;
	coap_opt_filter_t f;
	coap_opt_t *o;
	size_t n = 0;

	if (code_of(rcv) != 201) {
		fprintf(stderr, "kdc_load: Join answered %d\n", code_of(rcv));
		fail("join refused");
	}
	b->join_ms[b->n_lat] = (double)(t - s->t_join) / 1000.0;
	b->admit_ms[b->n_lat++] = (double)(t - s->t_start) / 1000.0;
	b->done++;
	coap_option_filter_clear(&f);
	coap_option_filter_set(&f, COAP_OPTION_LOCATION_PATH);
	coap_option_iterator_init(rcv, &it, &f);
	s->node[0] = '\0';
	while ((o = coap_option_next(&it)))
		if (++n == 4)
			snprintf(s->node, sizeof(s->node), "%.*s", (int)coap_opt_length(o),
				 (const char *)coap_opt_value(o));
	s->num = payload_num(rcv);
	if (s == &b->trigger) {
		s->st = S_LEAVE;
		send_pdu(s->dtls, COAP_REQUEST_CODE_DELETE, "ace-group", b->group, "nodes", s->node,
			 -1, NULL, 0, -1);
		return;
	}
	if (b->observe) {
		s->st = S_OBS_REG;
		send_pdu(s->dtls, COAP_REQUEST_CODE_GET, "ace-group", b->group, NULL, NULL, -1,
			 NULL, 0, 0);
	}
	next_member(b, s);
}

static void on_observe(struct bench *b, struct slot *s, const coap_pdu_t *rcv)
{
	uint32_t num = payload_num(rcv);
	uint64_t t = now_us();

	b->t_last_event = t;
	if (s->st == S_OBS_REG) {
		if (code_of(rcv) != 205)
			fail("observe registration refused");
		s->st = S_OBSERVING;
		s->num = num;
		b->registered++;
		return;
	}
	if (num > s->num) {
		if (b->t_trigger && num > b->baseline && !s->t_notified) {
			s->t_notified = t;
			b->notified++;
			if (!b->t_first)
				b->t_first = t;
			b->t_last = t;
		}
		s->num = num;
	}
}

static coap_response_t on_response(coap_session_t *session, const coap_pdu_t *sent,
				   const coap_pdu_t *rcv, const coap_mid_t mid)
{
	struct bench *b = coap_get_app_data(coap_session_get_context(session));
	void *app = coap_session_get_app_data(session);
	struct slot *s = app;

	if (!app)
		return COAP_RESPONSE_OK;
	if (*(enum kind *)app == K_LANE) {
		struct lane *l = app;

		if (l->cur && l->cur->st == S_AUTHZ)
			on_authz(b, l->cur, rcv);
		return COAP_RESPONSE_OK;
	}
	switch (s->st) {
	case S_JOIN:
		on_join(b, s, rcv);
		break;
	case S_OBS_REG:
	case S_OBSERVING:
		on_observe(b, s, rcv);
		break;
	case S_LEAVE:
		if (code_of(rcv) != 202)
			fail("leave refused");
		b->t_trigger = now_us();
		s->st = S_DONE;
		break;
	default:
		break;
	}
	return COAP_RESPONSE_OK;
}

static void on_nack(coap_session_t *session, const coap_pdu_t *sent,
		    const coap_nack_reason_t reason, const coap_mid_t mid)
{
	struct bench *b = coap_get_app_data(coap_session_get_context(session));

	b->errors++;
	fprintf(stderr, "kdc_load: NACK %d\n", (int)reason);
	fail("a request was not answered");
}

static int on_event(coap_session_t *session, const coap_event_t event)
{
	if (event == COAP_EVENT_DTLS_ERROR)
		fail("DTLS error");
	return 0;
}

/*
 * libcoap 4.3.1 raises no event when a client's handshake completes: the
 * lanes' sessions are looked at after each round of I/O instead.
 */
static void poll_handshakes(struct bench *b)
{
	for (size_t i = 0; i < b->n_lanes; i++) {
		struct slot *s = b->lanes[i].cur;

		if (!s || s->st != S_HANDSHAKE)
			continue;
		if (coap_session_get_state(s->dtls) == COAP_SESSION_STATE_ESTABLISHED) {
			send_join(b, s);
		} else if (now_us() - s->t_hs > HS_RETRY_US) {
			/*
			 * A new socket may get the port of a session the server still
			 * holds (libcoap keeps an unfinished one for a minute and feeds
			 * it every ClientHello from that port): start over elsewhere.
			 */
			coap_session_set_app_data(s->dtls, NULL);
			coap_session_release(s->dtls);
			b->hs_retries++;
			open_dtls(b, s);
		}
	}
}

static void address(coap_address_t *a, const char *host, unsigned port)
{
	coap_address_init(a);
	a->addr.sin.sin_family = AF_INET;
	a->addr.sin.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &a->addr.sin.sin_addr) != 1)
		fail("host must be an IPv4 literal");
	a->size = sizeof(a->addr.sin);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(double *v, size_t n, double p)
{
	size_t i = (size_t)(p * (double)(n - 1) + 0.5);

	return n ? v[i < n ? i : n - 1] : 0;
}

/* Run I/O until done(b) (true) or limit_ms passed (false). */
static bool run_for(struct bench *b, bool (*done)(struct bench *b), uint64_t limit_ms)
{
	uint64_t end = now_us() + limit_ms * 1000;

	while (!done(b)) {
		if (now_us() > end)
			return false;
		coap_io_process(b->ctx, 50);
		poll_handshakes(b);
	}
	return true;
}

static void run_until(struct bench *b, bool (*done)(struct bench *b), uint64_t limit_ms)
{
	if (!run_for(b, done, limit_ms))
		fail("timed out");
}

static bool all_joined(struct bench *b)
{
	return b->done >= b->n ||
	       (b->stop_us && now_us() > b->stop_us && b->done + b->errors >= b->started);
}

static bool all_registered(struct bench *b)
{
	return b->registered >= b->n;
}

static bool quiet(struct bench *b)
{
	return now_us() - b->t_last_event > 1000000;
}

static bool all_notified(struct bench *b)
{
	return b->t_trigger && b->notified >= b->n;
}

static bool trigger_done(struct bench *b)
{
	return b->trigger.st == S_DONE;
}

static void setup(struct bench *b, int argc, char **argv, size_t conc)
{
	size_t key_len;
	uint8_t *key;

	coap_startup();
	coap_set_log_level(LOG_EMERG);
	address(&b->plain_addr, argv[2], (unsigned)atoi(argv[3]));
	address(&b->dtls_addr, argv[2], (unsigned)atoi(argv[4]));
	b->group = argv[5];
	b->n = (uint32_t)strtoul(argv[6], NULL, 10);
	if (gk_rng_new(&b->rng) || gk_hex_decode(AS_KDC_KEY, strlen(AS_KDC_KEY), &key, &key_len) ||
	    gk_cose_key_decode(key, key_len, &b->as_key) ||
	    gk_p256_keygen(b->rng, b->d, b->x, b->y))
		fail("keys");
	free(key);
	gk_enc_init(&b->ccs);
	gk_gc_ccs_encode(&b->ccs, b->x, b->y);
	b->ctx = coap_new_context(NULL);
	if (!b->ctx)
		fail("context");
	coap_set_app_data(b->ctx, b);
	coap_register_response_handler(b->ctx, on_response);
	coap_register_nack_handler(b->ctx, on_nack);
	coap_register_event_handler(b->ctx, on_event);
	b->n_slots = b->observe ? b->n : conc;
	b->n_lanes = conc;
	b->slots = calloc(b->n_slots, sizeof(*b->slots));
	b->lanes = calloc(b->n_lanes, sizeof(*b->lanes));
	b->join_ms = calloc(b->n + 1, sizeof(double));
	b->admit_ms = calloc(b->n + 1, sizeof(double));
	if (!b->slots || !b->lanes || !b->join_ms || !b->admit_ms)
		fail("memory");
	for (size_t i = 0; i < conc; i++) {
		b->lanes[i].kind = K_LANE;
		b->lanes[i].plain =
			coap_new_client_session(b->ctx, NULL, &b->plain_addr, COAP_PROTO_UDP);
		if (!b->lanes[i].plain)
			fail("plain session");
		coap_session_set_app_data(b->lanes[i].plain, &b->lanes[i]);
	}
}

static void run_joins(struct bench *b, size_t conc)
{
	uint64_t t0 = now_us(), t1;
	const char *max = getenv("KDC_LOAD_MAX_SECONDS");

	if (max && !b->observe)
		b->stop_us = t0 + strtoull(max, NULL, 10) * 1000000;

	for (size_t i = 0; i < conc && b->started < b->n; i++) {
		start_member(b, &b->lanes[i], &b->slots[b->started], b->started);
		b->started++;
	}
	run_until(b, all_joined, 600000);
	t1 = now_us();
	if (b->observe)
		return;
	qsort(b->join_ms, b->n_lat, sizeof(double), cmp_double);
	qsort(b->admit_ms, b->n_lat, sizeof(double), cmp_double);
	printf("{\"members\": %u, \"seconds\": %.3f, \"joins_per_s\": %.1f, "
	       "\"join_p50_ms\": %.2f, \"join_p99_ms\": %.2f, \"admit_p50_ms\": %.2f, "
	       "\"admit_p99_ms\": %.2f, \"handshake_retries\": %u}\n",
	       b->done, (double)(t1 - t0) / 1e6, b->done / ((double)(t1 - t0) / 1e6),
	       pct(b->join_ms, b->n_lat, 0.5), pct(b->join_ms, b->n_lat, 0.99),
	       pct(b->admit_ms, b->n_lat, 0.5), pct(b->admit_ms, b->n_lat, 0.99), b->hs_retries);
}

static void run_observe(struct bench *b, size_t conc)
{
	const char *wait;

	run_joins(b, conc);
	run_until(b, all_registered, 300000);
	run_for(b, quiet, 60000);
	for (size_t i = 0; i < b->n_slots; i++)
		if (b->slots[i].num > b->baseline)
			b->baseline = b->slots[i].num;
	printf("{\"ready\": %u, \"baseline_num\": %u, \"handshake_retries\": %u}\n", b->n,
	       b->baseline, b->hs_retries);
	fflush(stdout);
	/* From now on a newer num is the rekey under test. */
	b->t_trigger = 1;
	wait = getenv("KDC_LOAD_WAIT_SECONDS");
	run_for(b, all_notified, wait ? strtoull(wait, NULL, 10) * 1000 : LEAVE_WAIT_MS + 60000);
	printf("{\"observers\": %u, \"notified\": %u, \"first_us\": %" PRIu64
	       ", \"last_us\": %" PRIu64 "}\n",
	       b->n, b->notified, b->t_first, b->t_last);
}

static void run_trigger(struct bench *b)
{
	start_member(b, &b->lanes[0], &b->trigger, b->n);
	run_until(b, trigger_done, 60000);
	printf("{\"leave_us\": %" PRIu64 "}\n", b->t_trigger);
}

int main(int argc, char **argv)
{
	struct bench b = { 0 };
	size_t conc;

	if (argc == 10 && !strcmp(argv[1], "join")) {
		conc = strtoul(argv[7], NULL, 10);
		b.pop = !strcmp(argv[8], "1");
		b.kid_base = (uint32_t)strtoul(argv[9], NULL, 10);
		setup(&b, argc, argv, conc);
		run_joins(&b, conc);
	} else if (argc == 9 && !strcmp(argv[1], "observe")) {
		conc = strtoul(argv[7], NULL, 10);
		b.observe = true;
		b.kid_base = (uint32_t)strtoul(argv[8], NULL, 10);
		setup(&b, argc, argv, conc);
		run_observe(&b, conc);
	} else if (argc == 7 && !strcmp(argv[1], "trigger")) {
		char zero[] = "0";
		char *args[] = { argv[0], argv[1], argv[2], argv[3], argv[4], argv[5], zero };

		b.kid_base = (uint32_t)strtoul(argv[6], NULL, 10);
		setup(&b, 7, args, 1);
		run_trigger(&b);
	} else {
		fprintf(stderr, "usage: kdc_load join HOST COAP COAPS GROUP N CONC POP KID_BASE\n"
				"       kdc_load observe HOST COAP COAPS GROUP N CONC KID_BASE\n"
				"       kdc_load trigger HOST COAP COAPS GROUP KID_BASE\n");
		return 2;
	}
	return 0;
}

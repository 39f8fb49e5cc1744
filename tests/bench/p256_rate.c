// SPDX-License-Identifier: BSD-3-Clause
/* Benchmark for scripts/bench-kdc: ES256 signatures and verifications per second vs mbedtls. */

/*
 *   p256_rate [SECONDS]
 *
 * gk_p256_sign/gk_p256_verify (nettle) against the mbedtls 2.28 calls they
 * replace, in one process: the same key, the same message, SHA-256 of the
 * message included on both sides. The baseline is given its best case, a
 * group and a key loaded once (gk_p256_* parse the key on every call, as
 * the KDC's callers need). Each operation runs 5 times for SECONDS (0.5),
 * the four interleaved so that a change of clock speed hits them alike; the
 * table has the medians. Before timing, each side checks the other's
 * signatures. Bench code: it aborts on what it does not expect.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>
#include <mbedtls/md.h>
#include <mbedtls/version.h>
#include <nettle/version.h>

#include "groupkey/crypto.h"

#define RUNS 5

/* About the size of what the KDC signs as kdc_cred_verify (N_S || N_C as CBOR). */
static const char bench_msg[] = "p256_rate: a fixed message standing for the nonces a Join signs";

struct bench {
	struct gk_rng *rng;
	uint8_t d[32], x[32], y[32];
	uint8_t sig_gk[64], sig_mb[64], out[64];
	mbedtls_ecp_keypair kp;
	mbedtls_mpi r, s;
};

static void die(const char *what)
{
	fprintf(stderr, "p256_rate: %s\n", what);
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void gk_sign(struct bench *b)
{
	if (gk_p256_sign(b->rng, b->d, bench_msg, sizeof(bench_msg), b->out))
		die("gk_p256_sign failed");
}

static void gk_verify(struct bench *b)
{
	if (gk_p256_verify(b->x, b->y, bench_msg, sizeof(bench_msg), b->sig_gk))
		die("gk_p256_verify failed");
}

static void mb_sign(struct bench *b)
{
	const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
	uint8_t hash[32];

	if (mbedtls_md(md, (const unsigned char *)bench_msg, sizeof(bench_msg), hash) ||
	    mbedtls_ecdsa_sign_det_ext(&b->kp.grp, &b->r, &b->s, &b->kp.d, hash, sizeof(hash),
				       MBEDTLS_MD_SHA256, gk_rng_mbedtls, b->rng) ||
	    mbedtls_mpi_write_binary(&b->r, b->out, 32) ||
	    mbedtls_mpi_write_binary(&b->s, b->out + 32, 32))
		die("mbedtls_ecdsa_sign_det_ext failed");
}

/* Verifies sig_mb: mbedtls' own signature, so a failure here is mbedtls' alone. */
static void mb_verify_sig(struct bench *b, const uint8_t sig[64])
{
	const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
	uint8_t hash[32];

	if (mbedtls_md(md, (const unsigned char *)bench_msg, sizeof(bench_msg), hash) ||
	    mbedtls_mpi_read_binary(&b->r, sig, 32) ||
	    mbedtls_mpi_read_binary(&b->s, sig + 32, 32) ||
	    mbedtls_ecdsa_verify(&b->kp.grp, hash, sizeof(hash), &b->kp.Q, &b->r, &b->s))
		die("mbedtls_ecdsa_verify failed");
}

static void mb_verify(struct bench *b)
{
	mb_verify_sig(b, b->sig_mb);
}

static void bench_init(struct bench *b)
{
	memset(b, 0, sizeof(*b));
	if (gk_rng_new(&b->rng) || gk_p256_keygen(b->rng, b->d, b->x, b->y))
		die("no key");
	mbedtls_ecp_keypair_init(&b->kp);
	mbedtls_mpi_init(&b->r);
	mbedtls_mpi_init(&b->s);
	if (mbedtls_ecp_group_load(&b->kp.grp, MBEDTLS_ECP_DP_SECP256R1) ||
	    mbedtls_mpi_read_binary(&b->kp.d, b->d, 32) ||
	    mbedtls_mpi_read_binary(&b->kp.Q.X, b->x, 32) ||
	    mbedtls_mpi_read_binary(&b->kp.Q.Y, b->y, 32) || mbedtls_mpi_lset(&b->kp.Q.Z, 1))
		die("cannot load the key into mbedtls");
	/* Both are RFC 6979 signers: the same bytes, and each verifies the other's. */
	gk_sign(b);
	memcpy(b->sig_gk, b->out, 64);
	mb_sign(b);
	memcpy(b->sig_mb, b->out, 64);
	if (memcmp(b->sig_gk, b->sig_mb, 64))
		die("gk_p256_sign and mbedtls disagree");
	mb_verify_sig(b, b->sig_gk);
	gk_verify(b);
}

static void bench_free(struct bench *b)
{
	mbedtls_mpi_free(&b->s);
	mbedtls_mpi_free(&b->r);
	mbedtls_ecp_keypair_free(&b->kp);
	gk_wipe(b->d, sizeof(b->d));
	gk_rng_free(b->rng);
}

/* Calls per second of op over at least secs; the clock is read every 8 calls. */
static double rate(void (*op)(struct bench *), struct bench *b, double secs)
{
	double t0 = now(), t;
	long n = 0;

	do {
		for (int i = 0; i < 8; i++)
			op(b);
		n += 8;
		t = now();
	} while (t - t0 < secs);
	return (double)n / (t - t0);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double v[RUNS])
{
	qsort(v, RUNS, sizeof(v[0]), cmp_double);
	return v[RUNS / 2];
}

int main(int argc, char **argv)
{
	void (*const ops[4])(struct bench *) = { gk_sign, mb_sign, gk_verify, mb_verify };
	double secs = argc > 1 ? atof(argv[1]) : 0.5, runs[4][RUNS], med[4];
	struct bench b;

	if (secs <= 0)
		die("usage: p256_rate [SECONDS]");
	bench_init(&b);
	for (int op = 0; op < 4; op++)
		rate(ops[op], &b, secs / 5); /* warm-up */
	for (int run = 0; run < RUNS; run++)
		for (int op = 0; op < 4; op++)
			runs[op][run] = rate(ops[op], &b, secs);
	for (int op = 0; op < 4; op++)
		med[op] = median(runs[op]);
	printf("P-256 ES256 per second, same key and %zu-byte message, median of %d runs of %.2f s\n",
	       sizeof(bench_msg), RUNS, secs);
	printf("%-10s %22s %22s %10s\n", "operation", "gk_p256 (nettle)", "mbedtls (cached group)",
	       "speed-up");
	printf("%-10s %22.0f %22.0f %9.2fx\n", "sign", med[0], med[1], med[0] / med[1]);
	printf("%-10s %22.0f %22.0f %9.2fx\n", "verify", med[2], med[3], med[2] / med[3]);
	printf("(nettle %d.%d, mbedtls %s)\n", nettle_version_major(), nettle_version_minor(),
	       MBEDTLS_VERSION_STRING);
	bench_free(&b);
	return 0;
}

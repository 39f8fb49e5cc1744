/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers shared by crypto.c and p256.c. */
#ifndef GROUPKEY_CRYPTO_INTERNAL_H
#define GROUPKEY_CRYPTO_INTERNAL_H

/* An mbedtls return value (0 or MBEDTLS_ERR_*) as 0 or a negative errno. */
int gk_mbedtls_err(int ret);

#endif

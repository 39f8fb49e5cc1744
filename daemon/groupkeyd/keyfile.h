/* SPDX-License-Identifier: BSD-3-Clause */
/* Secret files (AS-KDC key, KDC key pair): read with ownership and mode checks, create exclusively. */
#ifndef GKD_KEYFILE_H
#define GKD_KEYFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Read the whole file into buf (at most max - 1 bytes, then NUL). It must
 * be a regular file owned by root or by us with no group or other access;
 * with nofollow a symbolic link is refused too (files the daemon made
 * itself in the state directory). On error msg gets "PATH: why" and the
 * return is -errno (-EPERM for ownership/mode, -EFBIG when too large).
 */
int gkd_keyfile_read(const char *path, bool nofollow, uint8_t *buf, size_t max, size_t *n,
		     char *msg, size_t len);

/*
 * Create path exclusively with mode 0600 holding the hex of secret and a
 * newline, fsync'ed; -EEXIST when it exists (another instance won the
 * race: read theirs). A partly written file is removed.
 */
int gkd_keyfile_create_hex(const char *path, const uint8_t *secret, size_t n, char *msg,
			   size_t len);

#endif

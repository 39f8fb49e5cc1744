// SPDX-License-Identifier: BSD-3-Clause
/* Secret files: bounded reads that refuse loose modes or foreign owners, exclusive 0600 creation. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keyfile.h"
#include "groupkey/crypto.h"
#include "groupkey/util.h"

static int fail(int err, const char *path, char *msg, size_t len)
{
	snprintf(msg, len, "%s: %s", path, strerror(-err));
	return err;
}

/* Regular, ours (or root's), no access for group or others. */
static int keyfile_check(int fd, const char *path, char *msg, size_t len)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return fail(-errno, path, msg, len);
	if (!S_ISREG(st.st_mode)) {
		snprintf(msg, len, "%s: not a regular file", path);
		return -EINVAL;
	}
	if (st.st_mode & 077) {
		snprintf(msg, len, "%s: mode %04o gives group or others access (chmod 600)", path,
			 (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		snprintf(msg, len, "%s: owned by uid %u, neither root nor us", path,
			 (unsigned)st.st_uid);
		return -EPERM;
	}
	return 0;
}

static int keyfile_slurp(int fd, const char *path, uint8_t *buf, size_t max, size_t *n,
			 char *msg, size_t len)
{
	size_t got = 0;

	for (;;) {
		ssize_t r = read(fd, buf + got, max - 1 - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return fail(-errno, path, msg, len);
		if (r == 0)
			break;
		got += (size_t)r;
		if (got == max - 1) {
			snprintf(msg, len, "%s: larger than %zu bytes", path, max - 2);
			return -EFBIG;
		}
	}
	buf[got] = '\0';
	*n = got;
	return 0;
}

int gkd_keyfile_read(const char *path, bool nofollow, uint8_t *buf, size_t max, size_t *n,
		     char *msg, size_t len)
{
	int fd, err;

	if (max < 2)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | (nofollow ? O_NOFOLLOW : 0));
	if (fd < 0)
		return fail(-errno, path, msg, len);
	err = keyfile_check(fd, path, msg, len);
	if (!err)
		err = keyfile_slurp(fd, path, buf, max, n, msg, len);
	close(fd);
	if (err)
		gk_wipe(buf, max);
	return err;
}

int gkd_keyfile_create_hex(const char *path, const uint8_t *secret, size_t n, char *msg,
			   size_t len)
{
	char hex[2 * 64 + 2];
	int fd, err;

	if (n > 64)
		return -EINVAL;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return fail(-errno, path, msg, len);
	gk_hex_encode(secret, n, hex);
	hex[2 * n] = '\n';
	err = gk_write_all(fd, hex, 2 * n + 1);
	if (!err && fsync(fd) < 0)
		err = -errno;
	if (close(fd) < 0 && !err)
		err = -errno;
	gk_wipe(hex, sizeof(hex));
	if (err) {
		unlink(path);
		return fail(err, path, msg, len);
	}
	return 0;
}

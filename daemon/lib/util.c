// SPDX-License-Identifier: BSD-3-Clause
/* Hex codec and bounded file input shared by the CLI, the daemon and the tests. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "groupkey/crypto.h"
#include "groupkey/util.h"

void gk_hex_encode(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * n] = '\0';
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Strip surrounding whitespace and an optional h'...' wrapper. */
static void hex_trim(const char **p, size_t *len)
{
	const char *s = *p;
	size_t n = *len;

	while (n && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if (n >= 3 && s[0] == 'h' && s[1] == '\'' && s[n - 1] == '\'') {
		s += 2;
		n -= 3;
	}
	*p = s;
	*len = n;
}

int gk_hex_decode(const char *in, size_t len, uint8_t **out, size_t *out_len)
{
	uint8_t *buf;
	size_t n = 0;
	int hi = -1;

	hex_trim(&in, &len);
	buf = malloc(len / 2 + 1);
	if (!buf)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++) {
		int v = hexval((unsigned char)in[i]);

		if (v < 0) {
			if (isspace((unsigned char)in[i]) && hi < 0)
				continue;
			goto out_inval;
		}
		if (hi < 0) {
			hi = v;
		} else {
			buf[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	if (hi >= 0)
		goto out_inval;
	*out = buf;
	*out_len = n;
	return 0;

out_inval:
	gk_wipe(buf, n); /* the input may have been a secret */
	free(buf);
	return -EINVAL;
}

bool gk_looks_like_hex(const uint8_t *buf, size_t len)
{
	size_t digits = 0;

	for (size_t i = 0; i < len; i++) {
		if (isxdigit(buf[i]))
			digits++;
		else if (!isspace(buf[i]))
			return false;
	}
	return digits >= 2 && digits % 2 == 0;
}

int gk_read_file(const char *path, size_t max, uint8_t **out, size_t *len)
{
	size_t n = 0, cap = 4096;
	uint8_t *buf = NULL;
	int fd, err = 0;

	fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
	if (fd < 0)
		return -errno;
	buf = malloc(cap + 1);
	if (!buf) {
		err = -ENOMEM;
		goto out_close;
	}
	for (;;) {
		ssize_t r;

		if (n == cap) {
			uint8_t *nb;

			if (cap > max) {
				err = -EFBIG;
				goto out_free;
			}
			nb = realloc(buf, cap * 2 + 1);
			if (!nb) {
				err = -ENOMEM;
				goto out_free;
			}
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto out_free;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > max) {
		err = -EFBIG;
		goto out_free;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	goto out_close;

out_free:
	gk_wipe(buf, n);
	free(buf);
out_close:
	if (fd != STDIN_FILENO)
		close(fd);
	return err;
}

int gk_read_cbor_or_hex(const char *path, size_t max, uint8_t **out, size_t *len)
{
	uint8_t *raw, *bin;
	size_t n, bin_len;
	int err;

	/* Hex text takes two characters per byte. */
	err = gk_read_file(path, 2 * max + 64, &raw, &n);
	if (err)
		return err;
	if (!gk_looks_like_hex(raw, n)) {
		if (n > max) {
			err = -EFBIG;
			goto out_free;
		}
		*out = raw;
		*len = n;
		return 0;
	}
	err = gk_hex_decode((const char *)raw, n, &bin, &bin_len);
	if (err)
		goto out_free;
	*out = bin;
	*len = bin_len;
out_free:
	gk_wipe(raw, n);
	free(raw);
	return err;
}

int gk_write_all(int fd, const void *buf, size_t n)
{
	const uint8_t *p = buf;

	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

// SPDX-License-Identifier: BSD-3-Clause
/* Replays a fuzz target's corpus without libFuzzer (any compiler), reporting TAP for `make check`. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "groupkey/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_dir(const char *dir, size_t *count)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char path[4096];
		uint8_t *buf;
		size_t len;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (gk_read_file(path, 1 << 20, &buf, &len))
			continue;
		LLVMFuzzerTestOneInput(buf, len);
		free(buf);
		(*count)++;
	}
	closedir(d);
	return 0;
}

int main(int argc, char **argv)
{
	int failed = 0;

	printf("TAP version 13\n1..%d\n", argc - 1);
	for (int i = 1; i < argc; i++) {
		size_t count = 0;
		int err = replay_dir(argv[i], &count);

		if (err || !count) {
			printf("not ok %d - corpus %s: %s\n", i, argv[i],
			       err ? strerror(-err) : "empty");
			failed++;
		} else {
			printf("ok %d - corpus %s: %zu inputs replayed\n", i, argv[i], count);
		}
	}
	return failed ? 1 : 0;
}

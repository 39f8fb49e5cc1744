// SPDX-License-Identifier: BSD-3-Clause
/* Runner for harness.h: forks one child per TEST() and prints TAP. */
#include <ctype.h>
#include <errno.h>
#include <signal.h>

#include "harness.h"

struct gk_test_state gk_test_state_;

/* Registration happens from constructors, before main; the list is built once and then read-only. */
static struct gk_test *gk_tests_head;
static struct gk_test **gk_tests_tail = &gk_tests_head;

void gk_test_register_(struct gk_test *t)
{
	*gk_tests_tail = t;
	gk_tests_tail = &t->next;
}

uint8_t *gk_test_unhex(const char *hex, size_t *len)
{
	size_t n = 0, cap = strlen(hex) / 2 + 1;
	uint8_t *out = malloc(cap);
	int hi = -1;

	if (!out)
		GK_FAIL_(1, "out of memory");
	for (const char *p = hex; *p; p++) {
		int v;

		if (isspace((unsigned char)*p))
			continue;
		if (!isxdigit((unsigned char)*p))
			GK_FAIL_(1, "bad hex digit '%c'", *p);
		v = isdigit((unsigned char)*p) ? *p - '0' : (tolower((unsigned char)*p) - 'a' + 10);
		if (hi < 0) {
			hi = v;
		} else {
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	if (hi >= 0)
		GK_FAIL_(1, "odd number of hex digits");
	*len = n;
	return out;
}

void gk_test_unhex_into(const char *hex, uint8_t *out, size_t want)
{
	size_t n;
	uint8_t *p = gk_test_unhex(hex, &n);

	if (n != want) {
		free(p);
		GK_FAIL_(1, "%zu bytes of hex where %zu were expected", n, want);
	}
	memcpy(out, p, n);
	free(p);
}

uint8_t *gk_test_vector(const char *file, const char *name, size_t *len)
{
	const char *dir = getenv("GK_SRCDIR");
	char path[4096], line[8192];
	size_t nlen = strlen(name);
	uint8_t *out = NULL;
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/vectors/%s", dir ? dir : ".", file);
	f = fopen(path, "r");
	if (!f)
		GK_FAIL_(1, "cannot open %s: %s", path, strerror(errno));
	while (!out && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, name, nlen) && line[nlen] == ' ')
			out = gk_test_unhex(line + nlen + 1, len);
	}
	fclose(f);
	if (!out)
		GK_FAIL_(1, "vector %s not in %s", name, path);
	return out;
}

static int run_one(struct gk_test *t)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		printf("# fork: %s\n", strerror(errno));
		return GK_TEST_EXIT_FAIL;
	}
	if (pid == 0) {
		t->fn(t);
		fflush(stdout);
		/* exit(), not _exit(): LeakSanitizer checks at exit in the ASan build. */
		exit(gk_test_state_.failed ? GK_TEST_EXIT_FAIL : GK_TEST_EXIT_PASS);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return GK_TEST_EXIT_FAIL;
	}
	if (WIFSIGNALED(status)) {
		printf("# %s: killed by signal %d (%s)\n", t->name, WTERMSIG(status),
		       strsignal(WTERMSIG(status)));
		return GK_TEST_EXIT_FAIL;
	}
	return WEXITSTATUS(status);
}

int main(int argc, char **argv)
{
	const char *only = argc > 1 ? argv[1] : NULL;
	int n = 0, i = 0, failed = 0;

	for (struct gk_test *t = gk_tests_head; t; t = t->next)
		if (!only || !strcmp(only, t->name))
			n++;
	printf("TAP version 13\n1..%d\n", n);
	for (struct gk_test *t = gk_tests_head; t; t = t->next) {
		int rc;

		if (only && strcmp(only, t->name))
			continue;
		rc = run_one(t);
		i++;
		if (rc == GK_TEST_EXIT_PASS) {
			printf("ok %d - %s\n", i, t->name);
		} else if (rc == GK_TEST_EXIT_SKIP) {
			printf("ok %d - %s # SKIP\n", i, t->name);
		} else {
			printf("not ok %d - %s\n", i, t->name);
			failed++;
		}
		fflush(stdout);
	}
	return failed ? 1 : 0;
}

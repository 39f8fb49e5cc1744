// SPDX-License-Identifier: BSD-3-Clause
/* Helper of tests/net/dp_gateway_bpf.sh: a gateway's data plane through the loader API. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "groupkey/dp.h"
#include "groupkey/log.h"

#define MAX_IFS 8

static int usage(void)
{
	fprintf(stderr, "usage: dp_gateway_bpf load PIN_DIR [xdp=IF|tc=IF|lan=IF]...\n"
			"       dp_gateway_bpf allow|disallow PIN_DIR GROUP PREFIX\n"
			"       dp_gateway_bpf list PIN_DIR\n");
	return 2;
}

/* "HOOK=IF" onto the list of its hook. */
static int add_if(const char *arg, int lists[3][MAX_IFS], size_t n[3])
{
	static const char *const hooks[3] = { "xdp=", "tc=", "lan=" };
	unsigned int idx;

	for (int h = 0; h < 3; h++) {
		if (strncmp(arg, hooks[h], strlen(hooks[h])))
			continue;
		idx = if_nametoindex(arg + strlen(hooks[h]));
		if (!idx || n[h] == MAX_IFS)
			return -EINVAL;
		lists[h][n[h]++] = (int)idx;
		return 0;
	}
	return -EINVAL;
}

static int load(const char *pin_dir, int argc, char **argv)
{
	int lists[3][MAX_IFS] = { { 0 } };
	struct gk_dp_opts o = { .pin_dir = pin_dir };
	size_t n[3] = { 0 };
	struct gk_dp *dp;
	int err;

	for (int i = 0; i < argc; i++) {
		if (add_if(argv[i], lists, n))
			return usage();
	}
	o.xdp_ifindex = lists[0];
	o.n_xdp = n[0];
	o.tc_ifindex = lists[1];
	o.n_tc = n[1];
	o.lan_ifindex = lists[2];
	o.n_lan = n[2];
	err = gk_dp_open(&dp, &o);
	if (err) {
		fprintf(stderr, "gk_dp_open(%s): %s\n", pin_dir, strerror(-err));
		return 1;
	}
	gk_dp_close(dp, true);
	return 0;
}

static int allow(const char *pin_dir, const char *group, const char *prefix, bool add)
{
	struct gk_dp_opts o = { .pin_dir = pin_dir, .maps_only = true };
	struct gk_dp *dp;
	int err;

	err = gk_dp_open(&dp, &o);
	if (!err) {
		err = add ? gk_dp_allow_add(dp, (uint32_t)strtoul(group, NULL, 0), prefix) :
			    gk_dp_allow_del(dp, (uint32_t)strtoul(group, NULL, 0), prefix);
		gk_dp_close(dp, true);
	}
	if (err) {
		fprintf(stderr, "%s %s for group %s: %s\n", add ? "allow" : "disallow", prefix,
			group, strerror(-err));
		return 1;
	}
	return 0;
}

/* One line per entry: "GROUP PREFIX FLAGS". */
static int list(const char *pin_dir)
{
	struct gk_dp_allow_entry *e;
	char buf[64];
	size_t n;
	int err;

	err = gk_dp_allow_read(pin_dir, &e, &n);
	if (err) {
		fprintf(stderr, "gk_dp_allow_read(%s): %s\n", pin_dir, strerror(-err));
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		if (!gk_dp_allow_str(&e[i], buf, sizeof(buf)))
			printf("%u %s %#x\n", e[i].group_id, buf, e[i].flags);
	}
	free(e);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return usage();
	gk_log_set_level(GK_LOG_WARN);
	gk_log_route_libraries();
	if (!strcmp(argv[1], "load"))
		return load(argv[2], argc - 3, argv + 3);
	if ((!strcmp(argv[1], "allow") || !strcmp(argv[1], "disallow")) && argc == 5)
		return allow(argv[2], argv[3], argv[4], !strcmp(argv[1], "allow"));
	if (!strcmp(argv[1], "list") && argc == 3)
		return list(argv[2]);
	return usage();
}

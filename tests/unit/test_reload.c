// SPDX-License-Identifier: BSD-3-Clause
/* Tests for the reload decisions: what a new configuration changes and how it can be applied. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "reload.h"

static struct gkd_config *conf_new(void)
{
	struct gkd_config *c = calloc(1, sizeof(*c));

	if (!c)
		abort();
	gkd_conf_defaults(c);
	return c;
}

static void add_group(struct gkd_config *c, const char *name)
{
	struct gkd_group_conf *g = &c->groups[c->n_groups++];

	snprintf(g->name, sizeof(g->name), "%s", name);
	g->roles = 7;
	gkd_conf_group_defaults(g);
}

static void add_client(struct gkd_config *c, const char *id, uint8_t psk_byte)
{
	struct gkd_client_conf *cl = &c->clients[c->n_clients++];

	snprintf(cl->id, sizeof(cl->id), "%s", id);
	memset(cl->psk, psk_byte, 16);
	cl->psk_len = 16;
}

/* cur: groups a, b; client alice. next: a copy the test then changes. */
static void pair(struct gkd_config **cur, struct gkd_config **next)
{
	*cur = conf_new();
	add_group(*cur, "a");
	add_group(*cur, "b");
	add_client(*cur, "alice", 0x11);
	*next = conf_new();
	memcpy(*next, *cur, sizeof(**next));
}

#define CLASSIFY(cur, next, kind, what_want)                                     \
	do {                                                                     \
		char _w[96];                                                     \
		EXPECT_EQ(gkd_reload_classify(cur, next, _w, sizeof(_w)), kind); \
		EXPECT_STREQ(_w, what_want);                                     \
	} while (0)

TEST(identical_is_nothing_to_do)
{
	struct gkd_config *cur, *next;

	pair(&cur, &next);
	CLASSIFY(cur, next, GKD_RELOAD_NONE, "");
	free(cur);
	free(next);
}

TEST(log_level_clients_and_as_settings_apply_in_place)
{
	struct gkd_config *cur, *next;

	pair(&cur, &next);
	next->log_level = GK_LOG_DEBUG;
	CLASSIFY(cur, next, GKD_RELOAD_IN_PLACE, "");
	memcpy(next, cur, sizeof(*next));
	add_client(next, "bob", 0x22);
	CLASSIFY(cur, next, GKD_RELOAD_IN_PLACE, "");
	memcpy(next, cur, sizeof(*next));
	next->clients[0].psk[0] ^= 1;
	CLASSIFY(cur, next, GKD_RELOAD_IN_PLACE, "");
	memcpy(next, cur, sizeof(*next));
	next->token_lifetime = 60;
	next->max_payload = 4096;
	CLASSIFY(cur, next, GKD_RELOAD_IN_PLACE, "");
	free(cur);
	free(next);
}

TEST(group_changes_restart_the_services)
{
	struct gkd_config *cur, *next;

	pair(&cur, &next);
	add_group(next, "c");
	CLASSIFY(cur, next, GKD_RELOAD_SERVICES, "group c added");
	memcpy(next, cur, sizeof(*next));
	next->n_groups = 1;
	CLASSIFY(cur, next, GKD_RELOAD_SERVICES, "group b removed");
	memcpy(next, cur, sizeof(*next));
	next->groups[1].key_lifetime = 3600;
	CLASSIFY(cur, next, GKD_RELOAD_SERVICES, "group b changed");
	memcpy(next, cur, sizeof(*next));
	next->groups[0] = cur->groups[1];
	next->groups[1] = cur->groups[0];
	CLASSIFY(cur, next, GKD_RELOAD_SERVICES, "group order");
	free(cur);
	free(next);
}

TEST(endpoint_and_kdc_settings_restart_the_services)
{
	struct gkd_config *cur, *next;

	pair(&cur, &next);
	snprintf(next->listen, sizeof(next->listen), "127.0.0.1");
	CLASSIFY(cur, next, GKD_RELOAD_SERVICES, "listen");
	memcpy(next, cur, sizeof(*next));
	next->coaps_port = 15684;
	CLASSIFY(cur, next, GKD_RELOAD_SERVICES, "coaps_port");
	memcpy(next, cur, sizeof(*next));
	next->as_enabled = false;
	CLASSIFY(cur, next, GKD_RELOAD_SERVICES, "as.enabled");
	memcpy(next, cur, sizeof(*next));
	next->authz_rate = 0;
	CLASSIFY(cur, next, GKD_RELOAD_SERVICES, "authz_rate");
	memcpy(next, cur, sizeof(*next));
	snprintf(next->kdc_audience, sizeof(next->kdc_audience), "other-kdc");
	CLASSIFY(cur, next, GKD_RELOAD_SERVICES, "audience");
	free(cur);
	free(next);
}

/* A restart-only change wins over everything else in the same file. */
TEST(state_dir_and_purge_interval_are_refused)
{
	struct gkd_config *cur, *next;

	pair(&cur, &next);
	snprintf(next->state_dir, sizeof(next->state_dir), "/srv/groupkeyd");
	add_group(next, "c");
	CLASSIFY(cur, next, GKD_RELOAD_REFUSED, "state_dir");
	memcpy(next, cur, sizeof(*next));
	next->purge_interval = 5;
	next->log_level = GK_LOG_DEBUG;
	CLASSIFY(cur, next, GKD_RELOAD_REFUSED, "purge_interval");
	free(cur);
	free(next);
}

TEST(log_level_steps_with_verbose)
{
	EXPECT_EQ(gkd_reload_log_level(GK_LOG_INFO, 0), GK_LOG_INFO);
	EXPECT_EQ(gkd_reload_log_level(GK_LOG_INFO, 1), GK_LOG_DEBUG);
	EXPECT_EQ(gkd_reload_log_level(GK_LOG_ERR, 1), GK_LOG_WARN);
	EXPECT_EQ(gkd_reload_log_level(GK_LOG_ERR, 2), GK_LOG_INFO);
	EXPECT_EQ(gkd_reload_log_level(GK_LOG_WARN, 9), GK_LOG_DEBUG);
	EXPECT_EQ(gkd_reload_log_level(GK_LOG_DEBUG, 0), GK_LOG_DEBUG);
}

TEST(summary_line)
{
	struct gkd_config *c = conf_new();
	char buf[256];

	add_group(c, "demo");
	add_client(c, "demo-client", 1);
	gkd_reload_summary(c, buf, sizeof(buf));
	EXPECT_STREQ(buf, "coap [::]:5683, coaps [::]:5684, AS on, 1 group, 1 client");
	snprintf(c->listen, sizeof(c->listen), "127.0.0.1");
	c->as_enabled = false;
	add_group(c, "other");
	c->n_clients = 0;
	gkd_reload_summary(c, buf, sizeof(buf));
	EXPECT_STREQ(buf, "coap 127.0.0.1:5683, coaps 127.0.0.1:5684, AS off, 2 groups, 0 clients");
	free(c);
}

// SPDX-License-Identifier: BSD-3-Clause
/* The log sink shared by the daemon, the CLI, libcoap and libbpf. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <bpf/libbpf.h>
#include <coap3/coap.h>

#include "groupkey/log.h"

/* See log.h: the library callbacks below have no user pointer to carry this. */
static struct {
	enum gk_log_level level;
	int syslog_prefix;
} gk_log_state = { GK_LOG_INFO, 0 };

void gk_log_set_level(enum gk_log_level level)
{
	gk_log_state.level = level;
	coap_set_log_level(level >= GK_LOG_DEBUG ? LOG_INFO : level >= GK_LOG_INFO ? LOG_WARNING
										   : LOG_ERR);
}

enum gk_log_level gk_log_get_level(void)
{
	return gk_log_state.level;
}

void gk_log_set_syslog_prefix(int on)
{
	gk_log_state.syslog_prefix = on;
}

static const char *level_name(enum gk_log_level level)
{
	switch (level) {
	case GK_LOG_ERR:
		return "error";
	case GK_LOG_WARN:
		return "warning";
	case GK_LOG_INFO:
		return "info";
	default:
		return "debug";
	}
}

void gk_vlog(enum gk_log_level level, const char *fmt, va_list ap)
{
	char msg[1024];
	size_t n;

	if (level > gk_log_state.level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	if (gk_log_state.syslog_prefix)
		fprintf(stderr, "<%d>%s\n", (int)level, msg);
	else
		fprintf(stderr, "groupkeyd: %s: %s\n", level_name(level), msg);
}

void gk_log(enum gk_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	gk_vlog(level, fmt, ap);
	va_end(ap);
}

static void coap_log_sink(coap_log_t level, const char *message)
{
	enum gk_log_level l = level <= LOG_ERR ? GK_LOG_ERR : level <= LOG_WARNING ? GK_LOG_WARN
				: level <= LOG_INFO ? GK_LOG_INFO : GK_LOG_DEBUG;

	gk_log(l, "coap: %s", message);
}

/* libbpf hands us its own format strings: nothing to check at compile time. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static int bpf_log_sink(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	enum gk_log_level l = level == LIBBPF_WARN ? GK_LOG_WARN :
			      level == LIBBPF_INFO ? GK_LOG_INFO : GK_LOG_DEBUG;
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	/*
	 * libbpf warns with the netlink extack of every refused request, also of
	 * those the loader makes expecting a refusal (an exclusive attach over our
	 * own filter, a query of a hook with no qdisc). The loader logs what a
	 * failure means with its context; the kernel's text is detail.
	 */
	if (strstr(msg, "Kernel error message:"))
		l = GK_LOG_DEBUG;
	gk_log(l, "%s", msg); /* libbpf prefixes its own messages with "libbpf: " */
	return 0;
}
#pragma GCC diagnostic pop

void gk_log_route_libraries(void)
{
	coap_set_log_handler(coap_log_sink);
	libbpf_set_print(bpf_log_sink);
	gk_log_set_level(gk_log_state.level);
}

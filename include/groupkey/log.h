/* SPDX-License-Identifier: BSD-3-Clause */
/* Logging: pr_err/pr_warn/pr_info/pr_debug into one sink that also takes libcoap's and libbpf's output. */
#ifndef GROUPKEY_LOG_H
#define GROUPKEY_LOG_H

#include <stdarg.h>

enum gk_log_level {
	GK_LOG_ERR = 3,
	GK_LOG_WARN = 4,
	GK_LOG_INFO = 6,
	GK_LOG_DEBUG = 7,
};

/*
 * The sink writes "<level-prefix>message" lines to stderr (systemd's
 * journal reads the syslog-style "<N>" prefix when GK_LOG_PREFIX is on).
 * The level and prefix flag are the one piece of process-wide state:
 * libcoap's and libbpf's log callbacks carry no user pointer, so they can
 * reach nothing else. Never pass secrets (keys, PSKs, tokens) to a log call.
 */
void gk_log_set_level(enum gk_log_level level);
enum gk_log_level gk_log_get_level(void);
void gk_log_set_syslog_prefix(int on);
/* Route libcoap's and libbpf's logs into this sink (call once at start). */
void gk_log_route_libraries(void);

void gk_log(enum gk_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void gk_vlog(enum gk_log_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

#define pr_err(...) gk_log(GK_LOG_ERR, __VA_ARGS__)
#define pr_warn(...) gk_log(GK_LOG_WARN, __VA_ARGS__)
#define pr_info(...) gk_log(GK_LOG_INFO, __VA_ARGS__)
#define pr_debug(...) gk_log(GK_LOG_DEBUG, __VA_ARGS__)

#endif

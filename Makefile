# SPDX-License-Identifier: BSD-3-Clause
# groupkeyd: one non-recursive Makefile. Build products go to $(O) (default build/);
# the sanitizer build goes to build-asan/ (make SAN=1 O=build-asan, or make asan).

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
LIBDIR ?= $(PREFIX)/lib
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
SYSCONFDIR ?= /etc
LOCALSTATEDIR ?= /var
BPF_OBJ_DIR ?= $(LIBDIR)/groupkeyd/bpf
DESTDIR ?=

O ?= build
SAN ?= 0
V ?= 0

VERSION := 0.1.0

CC ?= cc
CLANG ?= clang
BPFTOOL ?= bpftool
PKG_CONFIG ?= pkg-config

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

PKGS := libcbor libbpf libcoap-3-gnutls inih libnl-route-3.0 sqlite3 jansson hogweed nettle gmp
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -lmbedtls -lmbedx509 -lmbedcrypto

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wno-unused-parameter -Wformat=2 -Wvla
CFLAGS ?= -O2 -g
ifeq ($(SAN),1)
CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
endif
ifeq ($(FUZZ),1)
CFLAGS += -fsanitize=fuzzer-no-link
endif
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -Iinclude -I$(O)/bpf $(PKG_CFLAGS) \
	-DGK_VERSION='"$(VERSION)"' -DGK_SYSCONFDIR='"$(SYSCONFDIR)"' \
	-DGK_LOCALSTATEDIR='"$(LOCALSTATEDIR)"' -DGK_BPF_OBJ_DIR='"$(BPF_OBJ_DIR)"' -MMD -MP
LDLIBS := $(PKG_LIBS)

# Core library: everything the daemon, the CLI and the tests share.
LIB_SRCS := $(wildcard daemon/lib/*.c)
LIB_OBJS := $(LIB_SRCS:daemon/lib/%.c=$(O)/lib/%.o)
LIB := $(O)/libgroupkey.a

CLI_SRCS := $(wildcard daemon/cli/*.c)
CLI_OBJS := $(CLI_SRCS:daemon/cli/%.c=$(O)/cli/%.o)
CLI := $(O)/groupkey

# The daemon's modules go into their own archive, so that unit tests link every
# daemon object but main.o (as chrony's test/unit does).
DAEMON_SRCS := $(wildcard daemon/groupkeyd/*.c)
DAEMON_OBJS := $(DAEMON_SRCS:daemon/groupkeyd/%.c=$(O)/daemon/%.o)
DAEMON_LIB_OBJS := $(filter-out $(O)/daemon/main.o,$(DAEMON_OBJS))
DAEMON_LIB := $(O)/libgroupkeyd.a
DAEMON := $(if $(wildcard daemon/groupkeyd/main.c),$(O)/groupkeyd)

BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(BPF_SRCS:bpf/%.bpf.c=$(O)/bpf/%.bpf.o)
BPF_SKELS := $(BPF_SRCS:bpf/%.bpf.c=$(O)/bpf/%.skel.h)
ARCH := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')
# -mcpu=v3: atomic fetch-and-add (the TC sequence counter) and 32-bit jumps; kernel >= 5.1.
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Wall -Werror -Iinclude \
	-I/usr/include/$(shell uname -m)-linux-gnu

TEST_SRCS := $(wildcard tests/unit/test_*.c)
TEST_BINS := $(TEST_SRCS:tests/unit/%.c=$(O)/tests/%)
TEST_HARNESS := $(O)/tests/harness.o

FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_REPLAY := $(FUZZ_SRCS:tests/fuzz/%.c=$(O)/tests/%-replay)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=build-fuzz/%)

.DELETE_ON_ERROR:
# Keep skeletons and objects make would otherwise treat as intermediate and delete.
.SECONDARY: $(BPF_SKELS) $(TEST_HARNESS) $(TEST_BINS:%=%.o)
.SUFFIXES:
.PHONY: all check asan test deps demo install clean help format fuzz

all: $(LIB) $(CLI) $(DAEMON) $(BPF_OBJS) $(TEST_BINS) $(FUZZ_REPLAY)

help:
	@echo 'groupkeyd $(VERSION) -- targets:'
	@echo '  all        build library, daemon, CLI, BPF objects and tests into $(O)/'
	@echo '  check      install dependencies, build normal + ASan/UBSan, run every test (needs root)'
	@echo '  demo       install dependencies, build, run the namespace demo (needs root)'
	@echo '  fuzz       build libFuzzer targets into build-fuzz/ and run each for FUZZ_SECONDS (60)'
	@echo '  install    install into $$(DESTDIR)$$(PREFIX) (PREFIX=$(PREFIX)): binaries, man pages,'
	@echo '             systemd units, sysusers/tmpfiles, bash completion, example config'
	@echo '  man        man pages into $(O)/man/ (scdoc)'
	@echo '  deb rpm    build the .deb / .rpm into $(PKG_OUT)/ (copies the tree; dpkg-buildpackage, rpmbuild)'
	@echo '  check-packages  unit, man pages, packages, install into a Debian 12 root (needs root)'
	@echo '  format     clang-format the C sources in place'
	@echo '  clean      remove build/, build-asan/, build-fuzz/'
	@echo 'variables: V=1 (full command lines), O=DIR (output dir), SAN=1 (ASan+UBSan), PREFIX, DESTDIR'

$(O)/lib/%.o: daemon/lib/%.c $(BPF_SKELS)
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(O)/cli/%.o: daemon/cli/%.c $(BPF_SKELS)
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(O)/daemon/%.o: daemon/groupkeyd/%.c $(BPF_SKELS)
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(CLI): $(CLI_OBJS) $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $(CLI_OBJS) $(LIB) $(LDLIBS)

$(DAEMON_LIB): $(DAEMON_LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(O)/groupkeyd: $(O)/daemon/main.o $(DAEMON_LIB) $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $(O)/daemon/main.o $(DAEMON_LIB) $(LIB) $(LDLIBS)

# BPF: clang -target bpf, then a libbpf skeleton that embeds the object.
$(O)/bpf/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h) $(wildcard include/groupkey/*.h)
	$(call msg,BPF,$@)
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(O)/bpf/%.skel.h: $(O)/bpf/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*) > $@

$(O)/tests/%.o: tests/unit/%.c $(BPF_SKELS)
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit -Idaemon/groupkeyd -c $< -o $@

$(O)/tests/test_%: $(O)/tests/test_%.o $(TEST_HARNESS) $(DAEMON_LIB) $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(TEST_HARNESS) $(DAEMON_LIB) $(LIB) $(LDLIBS)

# Fuzz targets: replayed over their corpus in `make check` (any compiler),
# and run coverage-guided by libFuzzer in `make fuzz` (clang).
$(O)/tests/fuzz_%-replay: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(DAEMON_LIB) $(LIB)
	$(call msg,LINK,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< tests/fuzz/replay.c $(DAEMON_LIB) $(LIB) $(LDLIBS)

build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c
	@$(MAKE) --no-print-directory O=build-fuzz CC=$(CLANG) SAN=1 FUZZ=1 build-fuzz/libgroupkey.a \
		build-fuzz/libgroupkeyd.a
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) -std=c11 -D_GNU_SOURCE -g -O1 -Iinclude $(PKG_CFLAGS) \
		-fsanitize=fuzzer,address,undefined -o $@ $< build-fuzz/libgroupkeyd.a \
		build-fuzz/libgroupkey.a $(LDLIBS)

FUZZ_SECONDS ?= 60
fuzz: $(FUZZ_BINS)
	$(Q)for f in $(FUZZ_BINS); do \
		n=$$(basename $$f); mkdir -p build-fuzz/corpus-$$n; \
		echo "== $$n for $(FUZZ_SECONDS)s"; \
		$$f -max_total_time=$(FUZZ_SECONDS) -max_len=4096 build-fuzz/corpus-$$n \
			tests/fuzz/corpus/$${n#fuzz_} || exit 1; \
	done

deps:
	$(Q)scripts/deps.sh

asan:
	$(Q)$(MAKE) --no-print-directory O=build-asan SAN=1 all

# The whole suite, twice: the normal build and the ASan+UBSan build. One summary line.
check: deps
	$(Q)$(MAKE) --no-print-directory O=build all
	$(Q)$(MAKE) --no-print-directory O=build-asan SAN=1 all
	$(Q)tests/run.sh build build-asan

test: all
	$(Q)tests/run.sh $(O)

demo: deps all
	$(Q)scripts/demo.sh $(O)

install: $(CLI) $(DAEMON) man
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR)
	install -m 0755 $(CLI) $(DESTDIR)$(BINDIR)/groupkey
	$(if $(DAEMON),install -m 0755 $(DAEMON) $(DESTDIR)$(SBINDIR)/groupkeyd)
	$(install-packaging)

format:
	clang-format -i $(wildcard daemon/*/*.c daemon/*/*.h include/groupkey/*.h bpf/*.c \
		tests/unit/*.c tests/unit/*.h tests/fuzz/*.c)

clean:
	rm -rf build build-asan build-fuzz

# --- Packaging and installation (issue 7): man pages, units, packages -----------------
# The unit files name /usr/sbin, /usr/bin and /etc; install rewrites them to SBINDIR, BINDIR and
# SYSCONFDIR. systemd reads sysusers.d and tmpfiles.d under /usr/lib only, whatever PREFIX is.
SYSTEMDUNITDIR ?= $(LIBDIR)/systemd/system
SYSUSERSDIR ?= /usr/lib/sysusers.d
TMPFILESDIR ?= /usr/lib/tmpfiles.d
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
DOCDIR ?= $(DATADIR)/doc/groupkeyd
SCDOC ?= scdoc
PKG_OUT ?= build-packages

MAN_SRCS := $(wildcard docs/man/*.scd)
MAN_PAGES := $(MAN_SRCS:docs/man/%.scd=$(O)/man/%)
UNIT_FILES := groupkeyd.service groupkeyd-metrics.service groupkeyd-metrics.timer
UNIT_PATHS := -e 's|/usr/sbin/groupkeyd|$(SBINDIR)/groupkeyd|g' \
	-e 's|/usr/bin/groupkey\b|$(BINDIR)/groupkey|g' -e 's|/etc/groupkeyd/|$(SYSCONFDIR)/groupkeyd/|g'

.PHONY: man deb rpm check-packages

man: $(MAN_PAGES)

$(O)/man/%: docs/man/%.scd
	$(call msg,SCDOC,$@)
	@mkdir -p $(@D)
	$(Q)$(SCDOC) <$< >$@

# The example config is never overwritten: a reinstall keeps the administrator's file.
define install-packaging
	install -d $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(SYSTEMDUNITDIR) \
		$(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(BASHCOMPDIR) \
		$(DESTDIR)$(DOCDIR) $(DESTDIR)$(SYSCONFDIR)/groupkeyd
	$(foreach m,$(MAN_PAGES),install -m 0644 $(m) \
		$(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(m)))/$(notdir $(m)) &&) true
	$(foreach u,$(UNIT_FILES),sed $(UNIT_PATHS) packaging/systemd/$(u) \
		>$(DESTDIR)$(SYSTEMDUNITDIR)/$(u) && chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/$(u) &&) true
	install -m 0644 packaging/sysusers/groupkeyd.conf $(DESTDIR)$(SYSUSERSDIR)/groupkeyd.conf
	install -m 0644 packaging/tmpfiles/groupkeyd.conf $(DESTDIR)$(TMPFILESDIR)/groupkeyd.conf
	install -m 0644 packaging/bash-completion/groupkey $(DESTDIR)$(BASHCOMPDIR)/groupkey
	ln -sf groupkey $(DESTDIR)$(BASHCOMPDIR)/groupkeyd
	install -m 0644 docs/config.md docs/metrics.md $(DESTDIR)$(DOCDIR)/
	[ -e $(DESTDIR)$(SYSCONFDIR)/groupkeyd/groupkeyd.conf ] || \
		install -m 0640 packaging/groupkeyd.conf $(DESTDIR)$(SYSCONFDIR)/groupkeyd/groupkeyd.conf
endef

# Packages are built from a copy of the tree in $(PKG_OUT) (packaging/pkg.sh), never in place.
deb:
	$(Q)packaging/pkg.sh deb $(PKG_OUT) $(VERSION)

rpm:
	$(Q)packaging/pkg.sh rpm $(PKG_OUT) $(VERSION)

# The packaging tests (tests/packaging/): too slow for `make check` (they build both packages
# and bootstrap a Debian 12 root), so .ci/run runs them after it.
check-packages: deps
	$(Q)$(MAKE) --no-print-directory O=build build/groupkey build/groupkeyd
	$(Q)GK_BUILD=$(CURDIR)/build tests/packaging/run.sh $(PKG_OUT)

-include $(wildcard $(O)/*/*.d)

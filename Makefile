# chorusd — build, test, install.
#
#   make              build chorusd and chorusctl (build/)
#   make check        install missing dependencies, build with ASan+UBSan, run every test
#   make faults       the long fault suite (scripts/fault-suite --long: 500 bilans, 30 %
#                     faults, 20 kills, clock steps, full disks, EMFILE; about 25 min)
#   make bench        scripts/bench: chorusd against issue 14's budgets (instructions, CPU,
#                     syncs, start-up, memory); BENCH_FLAGS=--quick for the short form
#   make demo         the main job: the daemon against the local emulator, a bilan in, an invoice out
#   make install      DESTDIR=… PREFIX=… (default /usr/local)
#   make CC=clang     any C11 compiler; warnings are errors
#   make fuzz         libFuzzer targets (tests/fuzz) with clang in build/fuzz, each run
#                     FUZZ_SECONDS (60) seconds by scripts/fuzz; fails on any crash
#
# BUILD=dir puts objects elsewhere (several builds side by side); SAN=1 adds
# AddressSanitizer + UndefinedBehaviorSanitizer; TEST_HOOKS=1 compiles in the
# daemon's test-only hooks (crash points, time scale: see daemon/service/job.c).

# The version chorusd --version and chorusctl --version print: here only.
VERSION := 1.0.0

CC ?= cc
BUILD ?= build
SAN ?= 0
FUZZ ?= 0
TEST_HOOKS ?= 0
PREFIX ?= /usr/local
DESTDIR ?=
PKG_CONFIG ?= pkg-config

PKGS := libcurl openssl libcjson libxml-2.0 libsystemd inih harfbuzz-subset zlib libdeflate libzip
TEST_PKGS := criterion libxml-2.0 libsystemd libzip openssl

PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
# Not linked (issue 14): libcurl, libxml2, libsystemd, libcrypto, libzip
# and HarfBuzz. daemon/chorus/curl_lazy.c, daemon/base/{xml,systemd,
# crypto,zip}_lazy.c and daemon/writers/harfbuzz_lazy.c load each at its
# first call, so that a command that never talks to Chorus Pro, reads a
# spreadsheet, runs an event loop, hashes or shapes beyond the fonts'
# snapshots does not pay for it and its dependencies at exec. Nor -lssl:
# chorus/chorus_http.c takes its two libssl calls from the libssl libcurl
# loads. The tests use libxml2, libsystemd, libzip and OpenSSL themselves.
PKG_LIBS := $(filter-out -lcurl -lxml2 -lsystemd -lssl -lcrypto -lzip -lharfbuzz -lharfbuzz-subset,$(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null))
TEST_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(TEST_PKGS) 2>/dev/null)
TEST_LIBS := $(shell $(PKG_CONFIG) --libs $(TEST_PKGS) 2>/dev/null)
# The workbook targets build their inputs' ZIP with libzip themselves.
FUZZ_LIBS := $(shell $(PKG_CONFIG) --libs libzip 2>/dev/null)

WARNINGS := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wformat=2 -Wno-format-nonliteral -Wvla -Wundef -Wpointer-arith -Wcast-qual
CFLAGS ?= -O2 -g
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARNINGS) $(CFLAGS) -Iinclude $(PKG_CFLAGS) \
	-fstack-protector-strong -D_FORTIFY_SOURCE=2 -MMD -MP
ALL_LDFLAGS := $(LDFLAGS) -Wl,-z,relro,-z,now
ifeq ($(TEST_HOOKS),1)
  ALL_CFLAGS += -DCHORUSD_TEST_HOOKS
endif
ifeq ($(SAN),1)
  ALL_CFLAGS += -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -U_FORTIFY_SOURCE
  ALL_LDFLAGS += -fsanitize=address,undefined
endif
# FUZZ=1 (clang only; `make fuzz` sets it): the library with libFuzzer's
# coverage instrumentation, for the targets of tests/fuzz.
ifeq ($(FUZZ),1)
  ALL_CFLAGS += -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer -U_FORTIFY_SOURCE
  ALL_LDFLAGS += -fsanitize=address,undefined
endif

# daemon/LAYER/*.c, layers from the bottom up: base, core, writers, chorus,
# service, ctl (daemon/README.md; scripts/check-layers enforces the order).
MAINS := daemon/service/chorusd.c daemon/ctl/chorusctl.c
# A build tool, not installed: see FACE_SNAPSHOTS below.
GEN_MAIN := daemon/ctl/gen_face_snapshots.c
LIB_SRCS := $(filter-out $(MAINS) $(GEN_MAIN),$(sort $(wildcard daemon/*/*.c)))
LIB_OBJS := $(LIB_SRCS:daemon/%.c=$(BUILD)/obj/%.o)
LIB := $(BUILD)/libchorus.a
TEST_SRCS := $(sort $(wildcard tests/test_*.c))
TEST_HELPER_SRCS := $(sort $(wildcard tests/helpers/*.c))
TEST_HELPER_OBJS := $(TEST_HELPER_SRCS:tests/helpers/%.c=$(BUILD)/tests/helpers/%.o)
TESTS := $(TEST_SRCS:tests/%.c=$(BUILD)/tests/%)
BINS := $(BUILD)/chorusd $(BUILD)/chorusctl
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_SECONDS ?= 60

.PHONY: all tests check faults bench deps demo install clean fuzz fuzz-build fuzz-targets FORCE
# Keep the test helpers' objects between runs (they are intermediate files).
.SECONDARY:
.DEFAULT_GOAL := all

all: $(BINS)

$(BUILD)/obj/%.o: daemon/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

# VERSION reaches the two programs through a generated header, rewritten
# only when VERSION changes: changing it rebuilds just chorusd.o and
# chorusctl.o, and an unchanged one rebuilds nothing.
VERSION_H := $(BUILD)/gen/version.h
$(VERSION_H): FORCE
	@mkdir -p $(@D)
	@printf '#pragma once\n#define CHORUSD_VERSION "%s"\n' '$(VERSION)' >$@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; fi
$(MAINS:daemon/%.c=$(BUILD)/obj/%.o): $(VERSION_H)
$(MAINS:daemon/%.c=$(BUILD)/obj/%.o): ALL_CFLAGS += -I$(BUILD)/gen

$(LIB): $(LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

# What a PdfFace learns of each embedded font, learnt at build time by
# gen_face_snapshots on the installed fonts and linked into chorusd and
# chorusctl (include/writers/pdf_face.h, snapshots; issue 14). The library,
# the tests and the fuzz targets go without: pdf_face_snapshots is weak.
# A font changed after the build only loses the snapshot (its key no longer
# matches), never the output.
GEN_FACE_SNAPSHOTS := $(BUILD)/gen_face_snapshots
FACE_SNAPSHOTS := $(BUILD)/gen/face_snapshots.o
$(GEN_FACE_SNAPSHOTS): $(BUILD)/obj/ctl/gen_face_snapshots.o $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIB) $(PKG_LIBS)
$(BUILD)/gen/face_snapshots.c: $(GEN_FACE_SNAPSHOTS)
	@mkdir -p $(@D)
	$(GEN_FACE_SNAPSHOTS) $@
$(FACE_SNAPSHOTS): $(BUILD)/gen/face_snapshots.c
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/chorusd: $(BUILD)/obj/service/chorusd.o $(FACE_SNAPSHOTS) $(LIB)
$(BUILD)/chorusctl: $(BUILD)/obj/ctl/chorusctl.o $(FACE_SNAPSHOTS) $(LIB)
$(BINS):
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(FACE_SNAPSHOTS) $(LIB) $(PKG_LIBS)

$(BUILD)/tests/helpers/%.o: tests/helpers/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) -Itests/helpers -c $< -o $@

$(BUILD)/tests/test_%: tests/test_%.c $(TEST_HELPER_OBJS) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) -Itests/helpers $(ALL_LDFLAGS) -o $@ $< \
		$(TEST_EXTRA_OBJS) $(TEST_HELPER_OBJS) $(LIB) $(PKG_LIBS) $(TEST_LIBS)

# The one test with the snapshots the programs have.
$(BUILD)/tests/test_face_snapshot: $(FACE_SNAPSHOTS)
$(BUILD)/tests/test_face_snapshot: TEST_EXTRA_OBJS := $(FACE_SNAPSHOTS)

tests: $(BINS) $(TESTS)

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests/fuzz -fsanitize=fuzzer $(ALL_LDFLAGS) -o $@ $< $(LIB) $(PKG_LIBS) $(FUZZ_LIBS)

fuzz-targets: $(FUZZ_BINS)

# The fuzz targets, built with clang in build/fuzz (scripts/fuzz and
# tests/suites/70-fuzz build them this way).
fuzz-build:
	$(MAKE) CC=clang BUILD=build/fuzz FUZZ=1 fuzz-targets

# Runs every target FUZZ_SECONDS seconds and prints a table (tests/fuzz/README.md).
# FUZZ_RUNS=N: the campaign by executions (10000000 per target in the docs).
fuzz: fuzz-build
	scripts/fuzz $(if $(FUZZ_RUNS),--runs $(FUZZ_RUNS),--seconds $(FUZZ_SECONDS))

deps:
	scripts/install-deps

# The README's test command. Installs what is missing, then builds with the
# sanitizers in build/check and runs every suite (tests/run-all).
check: deps
	$(MAKE) BUILD=build/check SAN=1 TEST_HOOKS=1 tests
	BUILD=build/check tests/run-all

# The long form of tests/suites/47-faults, on the sanitized build of make check.
faults: deps
	$(MAKE) BUILD=build/check SAN=1 TEST_HOOKS=1 all
	scripts/fault-suite --build build/check --long

# Builds its own optimised binaries in build/bench (tests/README.md, Benchmark).
bench:
	scripts/bench $(BENCH_FLAGS)

demo: deps
	$(MAKE) all
	scripts/demo

install: all
	scripts/install "$(DESTDIR)" "$(PREFIX)" "$(BUILD)"

clean:
	rm -rf build

-include $(LIB_OBJS:.o=.d) $(MAINS:daemon/%.c=$(BUILD)/obj/%.d) $(GEN_MAIN:daemon/%.c=$(BUILD)/obj/%.d) $(FACE_SNAPSHOTS:.o=.d) $(TESTS:=.d) $(TEST_HELPER_OBJS:.o=.d) \
	$(FUZZ_BINS:=.d)

# Makefile: the toolkit's one entry point -- all, deps, bench, test, examples, lessons, docs, clean.
#
# Everything builds out of tree into build/<variant>/, where <variant> is one of
#   normal  -O2, the build people run and benchmark;
#   asan    AddressSanitizer + UndefinedBehaviorSanitizer;
#   tsan    ThreadSanitizer;
#   clang   the normal flags under clang, to keep the code warning-free with both compilers.
# `make test` builds and runs every Check suite in normal, asan and tsan, and compiles the clang
# variant. Every target depends on `deps`, which checks (and as root installs) what is needed.

SHELL    := /bin/bash
.DEFAULT_GOAL := all

VARIANT  ?= normal
BUILD    ?= build
B        := $(BUILD)/$(VARIANT)

# --- toolchain and flags ---------------------------------------------------------------------
ifeq ($(VARIANT),clang)
CC       := clang
else
CC       ?= gcc
ifeq ($(origin CC),default)
CC       := gcc
endif
endif

CSTD     := -std=c11 -D_GNU_SOURCE
WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
INCLUDES := -Icommon -Iruntimes/tokio -Iruntimes/asyncstd
OPT_normal := -O2 -g
OPT_clang  := -O2 -g
OPT_asan   := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
OPT_tsan   := -O1 -g -fno-omit-frame-pointer -fsanitize=thread
OPT      := $(OPT_$(VARIANT))
CFLAGS   := $(CSTD) $(WARN) $(OPT) $(INCLUDES) -pthread -MMD -MP $(EXTRA_CFLAGS)
LDFLAGS  := $(OPT) -pthread

PKG_LIBS := liburing
CHECK_CFLAGS = $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   = $(shell pkg-config --libs check 2>/dev/null)
LIBS     = $(shell pkg-config --libs $(PKG_LIBS) 2>/dev/null) -lm

# --- sources ---------------------------------------------------------------------------------
COMMON_SRC ?= $(wildcard common/*.c)
COMMON_OBJ := $(COMMON_SRC:%.c=$(B)/obj/%.o)
LIBRT      := $(B)/lib/librt.a

# The two flavours: one archive each, built only from their own folder (plus the core).
TK_SRC     ?= $(wildcard runtimes/tokio/*.c)
TK_OBJ     := $(TK_SRC:%.c=$(B)/obj/%.o)
LIBTK      := $(B)/lib/libtk.a
AS_SRC     ?= $(wildcard runtimes/asyncstd/*.c)
AS_OBJ     := $(AS_SRC:%.c=$(B)/obj/%.o)
LIBAS      := $(B)/lib/libas.a
RT_LIBS    := $(LIBTK) $(LIBAS) $(LIBRT)

# Examples: runtimes/<flavour>/examples/<name>.c -> build/examples/<name> (normal build) or
# build/<variant>/examples/<name> (the others, used by the sanitizer test runs).
EXAMPLE_SRC := $(wildcard runtimes/*/examples/*.c)
EXAMPLE_DIR := $(if $(filter normal,$(VARIANT)),$(BUILD)/examples,$(B)/examples)
EXAMPLE_BIN := $(addprefix $(EXAMPLE_DIR)/,$(basename $(notdir $(EXAMPLE_SRC))))

TEST_SRC   ?= $(wildcard tests/unit/test_*.c)
TEST_BIN   := $(TEST_SRC:tests/unit/%.c=$(B)/tests/%)
# Shared test helpers go in an archive, so a suite pulls in only what it uses.
TEST_SUPPORT_SRC := $(filter-out tests/unit/test_%.c,$(wildcard tests/unit/*.c))
TEST_SUPPORT_OBJ := $(TEST_SUPPORT_SRC:%.c=$(B)/obj/%.o)
LIBTESTKIT       := $(B)/lib/libtestkit.a

# --- dependencies ----------------------------------------------------------------------------
# Each line: a probe that succeeds when the need is met, then the Debian package that meets it.
DEPS := \
  "command -v cc"                      build-essential \
  "command -v pkg-config"              pkg-config \
  "command -v clang"                   clang \
  "pkg-config --exists check"          check \
  "pkg-config --exists liburing"       liburing-dev \
  "pkg-config --exists libuv"          libuv1-dev \
  "pkg-config --exists libevent"       libevent-dev \
  "test -f /usr/include/ev.h"          libev-dev \
  "command -v gnuplot"                 gnuplot-nox \
  "command -v wrk"                     wrk \
  "command -v spin"                    spin \
  "command -v python3"                 python3 \
  "command -v cmark-gfm"               cmark-gfm \
  "command -v chromium"                chromium \
  "test -d /usr/share/fonts/truetype/dejavu" fonts-dejavu-core \
  "ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a" libclang-rt-14-dev \
  "! command -v cargo || ls -d /usr/share/cargo/registry/tokio-1.* /usr/share/cargo/registry/async-std-1.*" \
                                       "librust-tokio-dev librust-async-std-dev"

# Keep test objects (make would delete them as intermediates of the pattern rule).
.PRECIOUS: $(B)/obj/%.o
.PHONY: all deps test test-variant build-variant clang-check clean help examples bench bench-smoke

all: deps
	@$(MAKE) --no-print-directory build-variant VARIANT=normal

examples: deps
	@$(MAKE) --no-print-directory $(EXAMPLE_BIN) VARIANT=normal

help:
	@echo "make bench      build everything and run the side-by-side benchmark (quick size, under"
	@echo "                10 minutes on 2 cores); writes bench/results/<date-time>/ and prints a summary"
	@echo "make bench FULL=1   the same at the full sizes"
	@echo "make            build the core library and the test suites (build/normal/)"
	@echo "make examples   build the runtimes' example programs into build/examples/"
	@echo "make test       run every Check suite under normal, ASan+UBSan and TSan; compile with clang;"
	@echo "                then the bench smoke run (every workload on every runtime, tiny sizes)"
	@echo "make lesson N=03  build and run lesson 03's demos; make grade N=03 grades lessons/03-*/exercise.c"
	@echo "make lessons    run every lesson's demos; make grade-all: solutions pass, untouched exercises fail"
	@echo "make deps       check the Debian packages this needs; as root, install the missing ones"
	@echo "make docs       the annotated source, lessons and bench report as a site in build/docs/;"
	@echo "                make docs-check loads every page in headless Chromium (links, images, errors)"
	@echo "make test-load  10,000 connections per flavour's echo server, every byte checked, then SIGTERM"
	@echo "make soak       every API mixed for SOAK_SECONDS (300); RSS and fds must stay flat"
	@echo "make clean      remove build/"

# deps: idempotent; checks every need, installs what is missing as root, else says what to run.
deps:
	@set -- $(DEPS); missing=""; \
	while [ $$# -gt 0 ]; do probe="$$1"; pkg="$$2"; shift 2; \
	  bash -c "$$probe" >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	echo "deps: missing Debian packages:$$missing"; \
	if [ "$$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then \
	  echo "deps: installing them with apt-get (running as root)"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null \
	    || { echo "deps: apt-get failed; run it by hand: apt-get install$$missing" >&2; exit 1; }; \
	  echo "deps: installed:$$missing"; \
	else \
	  echo "deps: run this, then make again:" >&2; \
	  echo "  sudo apt-get update && sudo apt-get install -y$$missing" >&2; \
	  exit 1; \
	fi

build-variant: $(RT_LIBS) $(TEST_BIN) $(EXAMPLE_BIN)

# test: every suite in three builds; the clang build only has to compile warning-free. Then the
# bench smoke run, whose cases count in the closing line like the suites' checks.
test: deps
	@rm -f $(BUILD)/*/test-results.txt
	@$(MAKE) --no-print-directory clang-check
	@rc=0; for v in normal asan tsan; do \
	  $(MAKE) --no-print-directory test-variant VARIANT=$$v || rc=1; done; \
	$(MAKE) --no-print-directory bench-smoke || rc=1; \
	$(MAKE) --no-print-directory test-load || rc=1; \
	$(MAKE) --no-print-directory check-excerpts || rc=1; \
	$(MAKE) --no-print-directory grade-all VARIANT=normal || rc=1; \
	$(MAKE) --no-print-directory check-mixing VARIANT=normal || rc=1; \
	$(MAKE) --no-print-directory docs-check || rc=1; \
	$(MAKE) --no-print-directory test-fuzz || rc=1; \
	$(MAKE) --no-print-directory test-model || rc=1; \
	tests/tools/summary.sh $(BUILD) normal asan tsan smoke load docs-check || rc=1; exit $$rc

# test-fuzz: the libFuzzer targets (HTTP parser, timers differentially, the local ring), each
# FUZZ_SECONDS (60) from a copy of tests/fuzz/corpus; FUZZ_SECONDS=0 only replays the corpus.
# test-model: spin checks the Promela model of the task state machine (tests/model).
FUZZ_SECONDS ?= 60
.PHONY: test-fuzz test-model
test-fuzz: deps
	@BUILD=$(BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh
test-model: deps
	@BUILD=$(BUILD) tests/model/run.sh

test-variant: build-variant
	@tests/tools/run_suites.sh $(B) $(VARIANT)

clang-check: deps
	@echo "== clang: compiling everything with -Wall -Wextra -Werror"
	@$(MAKE) --no-print-directory build-variant bench-c VARIANT=clang

clean:
	rm -rf $(BUILD)

# bench: the libraries, the per-runtime executables (the Rust anchors too, when cargo is there)
# and the harness, then the quick size (FULL=1: the full sizes) into bench/results/<date-time>/,
# with bench/results/latest pointing at it. The C build runs one job per core; cargo does so
# by itself. A case that fails is reported, not fatal: rtbench exits 0 when it could measure.
bench: deps
	@$(MAKE) --no-print-directory -j$$(nproc) $(RT_LIBS) bench-c rtbench VARIANT=normal
	@$(MAKE) --no-print-directory bench-rust VARIANT=normal
	@$(BUILD)/bin/rtbench run --size $(if $(FULL),full,quick)

# bench-smoke: every workload on every runtime at tiny sizes, one repetition, self-checks only
# (never speed); writes $(BUILD)/smoke/ and its test-results.txt for summary.sh. Part of test.
bench-smoke: deps
	@$(MAKE) --no-print-directory $(RT_LIBS) bench-impls rtbench VARIANT=normal
	@echo "== bench smoke: every workload on every runtime, tiny sizes"
	@mkdir -p $(BUILD)/smoke
	@$(BUILD)/bin/rtbench run --smoke --out $(BUILD)/smoke 2>$(BUILD)/smoke/progress.log \
	  | tee $(BUILD)/smoke/summary.txt; rc=$${PIPESTATUS[0]}; \
	line=$$(sed -n 's/^smoke: \([0-9]*\) passed, \([0-9]*\) failed.*/\1 \2 0/p' $(BUILD)/smoke/summary.txt); \
	echo "$${line:-0 1 1}" >$(BUILD)/smoke/test-results.txt; \
	grep '^smoke: FAIL' $(BUILD)/smoke/progress.log; exit $$rc

# The benchmark's per-runtime executables (bench-c, bench-rust, bench-impls) and its harness
# (rtbench, and the archive the test_bench* suites link).
include bench/impl/build.mk
include bench/harness/build.mk

# The lessons: lesson N=.., grade N=.., lessons, grade-all, check-excerpts.
include lessons/lesson.mk
lesson grade lessons grade-all check-excerpts check-mixing: deps
include docs/tools/docs.mk

# Hardening: the 10k-connection load test (in make test) and the soak (not in CI).
include tests/load/load.mk
include tests/soak/soak.mk

# --- rules -----------------------------------------------------------------------------------
$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CHECK_CFLAGS) -c $< -o $@

$(LIBRT): $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(LIBTK): $(TK_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(LIBAS): $(AS_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(LIBTESTKIT): $(TEST_SUPPORT_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(B)/tests/%: $(B)/obj/tests/unit/%.o $(LIBTESTKIT) $(RT_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(LIBTESTKIT) $(RT_LIBS) $(CHECK_LIBS) $(LIBS)

# An example links the flavour archives and the core; nothing else.
define EXAMPLE_RULE
$(EXAMPLE_DIR)/$(basename $(notdir $(1))): $(B)/obj/$(1:.c=.o) $(RT_LIBS)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$< $(RT_LIBS) $$(LIBS)
endef
$(foreach src,$(EXAMPLE_SRC),$(eval $(call EXAMPLE_RULE,$(src))))

-include $(COMMON_OBJ:.o=.d) $(TK_OBJ:.o=.d) $(AS_OBJ:.o=.d) $(TEST_SUPPORT_OBJ:.o=.d) \
         $(TEST_SRC:%.c=$(B)/obj/%.d) $(EXAMPLE_SRC:%.c=$(B)/obj/%.d)

# bench/impl/build.mk: build rules for the bench executables (rtb-epoll, -uring, -libuv, -libev, -libevent, -tk, -as, and the Rust anchors).
#
# Included by the top Makefile, after its variables are set (it uses CC, CSTD, WARN, OPT, LDFLAGS,
# EXTRA_CFLAGS, VARIANT, BUILD and B):
#
#     include bench/impl/build.mk
#
# Targets it defines:
#   bench-c      the C executables into $(BENCH_BIN)/ (build/bench/bin/ for VARIANT=normal,
#                build/<variant>/bench/bin/ for the others, like the examples)
#   bench-rust   rtb-tokio and rtb-async-std into build/bench/bin/, built offline by cargo in
#                build/cargo/; without cargo it prints "not measured: cargo not found", creates
#                nothing and succeeds, so `make bench` goes on and the report says why
#   bench-impls  both
#
# Each C executable is bench/impl/<runtime>/*.c plus the shared bench/impl/common/*.c and the
# core's allocator (common/rt_alloc.c, built by the main Makefile's own rule), compiled with the
# project's flags. The rules are static pattern rules, so they take precedence over the main
# Makefile's generic $(B)/obj/%.o rule for these objects. A flavour built in this tree (tk, as) also
# links its archive and the core's (built by the main Makefile's $(LIBTK)/$(LIBAS) and $(LIBRT) rules):
# BENCH_INC_<rt> adds its include path, BENCH_ARCHIVES_<rt> the archives, which are then
# prerequisites too, so editing the runtime relinks its bench executable.

BENCH_BIN      := $(if $(filter normal,$(VARIANT)),$(BUILD)/bench/bin,$(B)/bench/bin)
BENCH_RUNTIMES := epoll uring libuv libev libevent tk as
BENCH_CFLAGS    = $(CSTD) $(WARN) $(OPT) -Icommon -Ibench/impl/common -pthread -MMD -MP $(EXTRA_CFLAGS)

# What each runtime links: pkg-config modules where the library ships a .pc file; libev has none.
BENCH_PKG_epoll    :=
BENCH_PKG_uring    := liburing
BENCH_PKG_libuv    := libuv
BENCH_PKG_libev    :=
BENCH_PKG_libevent := libevent libevent_pthreads
BENCH_LIBS_libev   := -lev
# tk: the tokio-style flavour; its archive before the core's, which it uses. The core's poller
# has an io_uring backend, hence liburing.
BENCH_PKG_tk       := liburing
BENCH_INC_tk       := -Iruntimes/tokio
BENCH_ARCHIVES_tk  := $(LIBTK) $(LIBRT)
# as: the async-std-style flavour, linked the same way (its archive, then the core's).
BENCH_PKG_as       := liburing
BENCH_INC_as       := -Iruntimes/asyncstd
BENCH_ARCHIVES_as  := $(LIBAS) $(LIBRT)

BENCH_COMMON_SRC := $(wildcard bench/impl/common/*.c)
BENCH_COMMON_OBJ := $(BENCH_COMMON_SRC:%.c=$(B)/obj/%.o) $(B)/obj/common/rt_alloc.o

$(BENCH_COMMON_SRC:%.c=$(B)/obj/%.o): $(B)/obj/bench/impl/common/%.o: bench/impl/common/%.c
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -c $< -o $@

# One compile rule and one link rule per runtime.
define BENCH_C_RULES
BENCH_SRC_$(1) := $$(wildcard bench/impl/$(1)/*.c)
BENCH_OBJ_$(1) := $$(BENCH_SRC_$(1):%.c=$(B)/obj/%.o)

$$(BENCH_OBJ_$(1)): $(B)/obj/bench/impl/$(1)/%.o: bench/impl/$(1)/%.c
	@mkdir -p $$(dir $$@)
	$$(CC) $$(BENCH_CFLAGS) $$(BENCH_INC_$(1)) $$(if $$(BENCH_PKG_$(1)),$$(shell pkg-config --cflags $$(BENCH_PKG_$(1)))) -c $$< -o $$@

$(BENCH_BIN)/rtb-$(1): $$(BENCH_OBJ_$(1)) $$(BENCH_COMMON_OBJ) $$(BENCH_ARCHIVES_$(1))
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(if $$(BENCH_PKG_$(1)),$$(shell pkg-config --libs $$(BENCH_PKG_$(1)))) $$(BENCH_LIBS_$(1)) -lm
endef
$(foreach rt,$(BENCH_RUNTIMES),$(eval $(call BENCH_C_RULES,$(rt))))

BENCH_C_BIN := $(addprefix $(BENCH_BIN)/rtb-,$(BENCH_RUNTIMES))

# The Rust anchors. cargo reads .cargo/config.toml from the directory it runs in, so it runs in
# the crate's folder (that config points crates-io at /usr/share/cargo/registry, offline).
# cargo does its own dependency tracking, so this target always asks it; a no-op build takes
# well under a second. Stale copies are removed first: a failed build must not leave an old
# binary behind to be measured as if it were current.
BENCH_CARGO_DIR := $(abspath $(BUILD))/cargo
BENCH_RUST_BIN  := rtb-tokio rtb-async-std

.PHONY: bench-c bench-rust bench-impls
bench-c: $(BENCH_C_BIN)

bench-rust:
	@mkdir -p $(BUILD)/bench/bin
	@rm -f $(addprefix $(BUILD)/bench/bin/,$(BENCH_RUST_BIN))
	@if ! command -v cargo >/dev/null 2>&1; then \
	  echo "not measured: cargo not found (tokio and async-std anchors skipped)"; exit 0; fi; \
	echo "cargo build --release --offline (bench/anchors/rust -> $(BENCH_CARGO_DIR))"; \
	if (cd bench/anchors/rust && CARGO_TARGET_DIR=$(BENCH_CARGO_DIR) \
	      cargo build --release --offline --quiet); then \
	  cp $(addprefix $(BENCH_CARGO_DIR)/release/,$(BENCH_RUST_BIN)) $(BUILD)/bench/bin/; \
	else \
	  echo "not measured: the Rust anchors did not build (cargo's errors are above)"; \
	fi

bench-impls: bench-c bench-rust

-include $(foreach rt,$(BENCH_RUNTIMES),$(BENCH_OBJ_$(rt):.o=.d)) $(BENCH_COMMON_SRC:%.c=$(B)/obj/%.d)

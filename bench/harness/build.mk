# bench/harness/build.mk: build rules for the harness, build/bin/rtbench, and the archive its Check suites link.
#
# Included by the top Makefile after its variables are set (it uses CC, LDFLAGS, CFLAGS, VARIANT,
# BUILD, B, LIBRT, CHECK_LIBS and LIBS):
#
#     include bench/harness/build.mk
#
# Targets it defines:
#   rtbench      $(RB_BIN): build/bin/rtbench for VARIANT=normal, build/<variant>/bin/rtbench
#                for the others (the asan one is how the harness itself is checked under ASan)
#
# Every bench/harness/*.c except rtbench.c (the main) goes into $(B)/lib/librtbench.a, compiled
# by the main Makefile's generic $(B)/obj/%.o rule with the project's flags. A suite named
# tests/unit/test_bench*.c links that archive and the core's (for rt_alloc), nothing of the
# flavours: its link rule below has a shorter stem than the generic $(B)/tests/% rule, so make
# picks it for those suites and only those. The suites also
# depend (order-only) on the harness binary, so that every variant's build-variant -- the
# clang one included -- compiles rtbench.c too.

RB_SRC := $(filter-out bench/harness/rtbench.c,$(wildcard bench/harness/*.c))
RB_OBJ := $(RB_SRC:%.c=$(B)/obj/%.o)
RB_LIB := $(B)/lib/librtbench.a
RB_BIN := $(if $(filter normal,$(VARIANT)),$(BUILD)/bin/rtbench,$(B)/bin/rtbench)

.PHONY: rtbench
rtbench: $(RB_BIN)

$(RB_LIB): $(RB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(RB_BIN): $(B)/obj/bench/harness/rtbench.o $(RB_LIB) $(B)/obj/common/rt_alloc.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lm

$(B)/obj/tests/unit/test_bench%.o: CFLAGS += -Ibench/harness

$(B)/tests/test_bench%: $(B)/obj/tests/unit/test_bench%.o $(RB_LIB) $(LIBRT) | $(RB_BIN)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(RB_LIB) $(LIBRT) $(CHECK_LIBS) $(LIBS)

-include $(RB_OBJ:.o=.d) $(B)/obj/bench/harness/rtbench.d

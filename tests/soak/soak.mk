# tests/soak/soak.mk: `make soak` -- both flavours' APIs mixed for SOAK_SECONDS (300), RSS and fds sampled each second; not part of make test.
#
# Included by the top Makefile after its variables are set (it uses BUILD, B, CC, CFLAGS,
# LDFLAGS, RT_LIBS and LIBS):
#
#     include tests/soak/soak.mk
#
#     make soak                     5 minutes, normal build; the samples go to $(BUILD)/soak/soak.csv
#     make soak SOAK_SECONDS=60     a shorter run (at least 30)
#
# The program (tests/soak/soak.c) exits non-zero if a check inside a round fails, or if RSS or
# the fd count is not flat (its header defines "flat").

SOAK_SECONDS ?= 300
SOAK_BIN := $(B)/bin/soak

.PHONY: soak
# (The sub-make reads the same top Makefile, whatever it is called, in the normal variant.)
soak: deps
	@$(MAKE) -f $(firstword $(MAKEFILE_LIST)) --no-print-directory $(BUILD)/normal/bin/soak VARIANT=normal
	@mkdir -p $(BUILD)/soak
	SOAK_SECONDS=$(SOAK_SECONDS) SOAK_CSV=$(BUILD)/soak/soak.csv $(BUILD)/normal/bin/soak

$(SOAK_BIN): $(B)/obj/tests/soak/soak.o $(RT_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(RT_LIBS) $(LIBS)

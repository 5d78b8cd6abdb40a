# tests/load/load.mk: `make test-load` -- 10,000 connections to each echo server, every byte checked, then SIGTERM under load.
#
# Included by the top Makefile after its variables are set (it uses BUILD, CC, CSTD, WARN and
# OPT_normal):
#
#     include tests/load/load.mk
#
# test-load builds, in the normal variant only, the load client ($(BUILD)/bin/load_client) and
# the two echo servers, then runs tests/load/run.sh: tk on current_thread, tk on multi_thread,
# and as, each holding LOAD_CONNS (10000) connections. It writes $(BUILD)/load/*.log and
# $(BUILD)/load/test-results.txt (for tests/tools/summary.sh), and fails on any lost or
# reordered byte, a reset, a server that dies or one that does not exit 0 after SIGTERM.

LOAD_CLIENT := $(BUILD)/bin/load_client

.PHONY: test-load
# (The sub-make reads the same top Makefile, whatever it is called, in the normal variant.)
test-load: deps
	@$(MAKE) -f $(firstword $(MAKEFILE_LIST)) --no-print-directory $(LOAD_CLIENT) $(BUILD)/examples/tk_echo_server \
	  $(BUILD)/examples/as_echo_server VARIANT=normal
	@BUILD=$(BUILD) tests/load/run.sh

# The client is plain C with the project's warnings; it links nothing of ours on purpose.
$(LOAD_CLIENT): tests/load/load_client.c
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(OPT_normal) -o $@ $<

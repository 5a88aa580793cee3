# Lab 6's own rules: the bug zoo (labs/06-timeouts/zoo/), built apart from
# the lab, each program four ways, so that the normal build stays clean under
# the sanitizers and every tool sees the same source:
#   $(BIN)/zoo/P        -O2 -g  (native, and what helgrind and gdb run)
#   $(BIN)/zoo/P-O0     -O0 -g  (the race at -O0 and at -O2)
#   $(BIN)/zoo/P-tsan   -O0 -fsanitize=thread   (-O0: each report names the line as written)
#   $(BIN)/zoo/P-asan   -O0 -fsanitize=address  (and the tools' costs compare -O0 builds)
# The flags are the zoo's own, whatever SANITIZE says.
ZOO6_NAMES := tally accounts mailbox settings spawner
ZOO6_FLAGS := -std=c11 -Wall -Wextra -Werror -pthread -D_GNU_SOURCE -g
ZOO6_PROGS := $(foreach p,$(ZOO6_NAMES),$(BIN)/zoo/$(p) $(BIN)/zoo/$(p)-O0 $(BIN)/zoo/$(p)-tsan $(BIN)/zoo/$(p)-asan)
LAB_EXTRA_PROGS += $(ZOO6_PROGS)

$(BIN)/zoo/%: labs/06-timeouts/zoo/%.c labs/06-timeouts/zoo/zoo.h
	@mkdir -p $(@D)
	$(call say,CC,$@)$(CC) $(ZOO6_FLAGS) -O2 -o $@ $<
$(BIN)/zoo/%-O0: labs/06-timeouts/zoo/%.c labs/06-timeouts/zoo/zoo.h
	@mkdir -p $(@D)
	$(call say,CC,$@)$(CC) $(ZOO6_FLAGS) -O0 -o $@ $<
$(BIN)/zoo/%-tsan: labs/06-timeouts/zoo/%.c labs/06-timeouts/zoo/zoo.h
	@mkdir -p $(@D)
	$(call say,CC,$@)$(CC) $(ZOO6_FLAGS) -O0 -fsanitize=thread -o $@ $<
$(BIN)/zoo/%-asan: labs/06-timeouts/zoo/%.c labs/06-timeouts/zoo/zoo.h
	@mkdir -p $(@D)
	$(call say,CC,$@)$(CC) $(ZOO6_FLAGS) -O0 -fsanitize=address -fno-omit-frame-pointer -o $@ $<

# The lab runs the zoo's tools itself: it needs them built beside it.
lab6 solution6: $(ZOO6_PROGS)

# The tools by hand: make zoo6-tsan PROG=tally, zoo6-helgrind PROG=accounts,
# zoo6-gdb PROG=accounts, zoo6-proc PROG=spawner (ARGS= passes arguments on;
# PROG defaults to tally).
ZOO6_PROG = $(or $(PROG),tally)
ifneq ($(filter zoo6-%,$(MAKECMDGOALS)),)
ifeq ($(filter $(ZOO6_PROG),$(ZOO6_NAMES)),)
$(error PROG=$(ZOO6_PROG) is not in the zoo; PROG is one of: $(ZOO6_NAMES))
endif
endif
.PHONY: zoo6 zoo6-run zoo6-O0 zoo6-tsan zoo6-asan zoo6-helgrind zoo6-drd zoo6-gdb zoo6-proc
zoo6: $(ZOO6_PROGS)
zoo6-run: $(BIN)/zoo/$(ZOO6_PROG)
	-$(BIN)/zoo/$(ZOO6_PROG) $(ARGS)
zoo6-O0: $(BIN)/zoo/$(ZOO6_PROG)-O0
	-$(BIN)/zoo/$(ZOO6_PROG)-O0 $(ARGS)
zoo6-tsan: $(BIN)/zoo/$(ZOO6_PROG)-tsan
	-$(BIN)/zoo/$(ZOO6_PROG)-tsan $(ARGS)
zoo6-asan: $(BIN)/zoo/$(ZOO6_PROG)-asan
	-$(BIN)/zoo/$(ZOO6_PROG)-asan $(ARGS)
# valgrind's tools on the -O0 build: at -O2 tally's add is folded into its caller's loop
zoo6-helgrind: $(BIN)/zoo/$(ZOO6_PROG)-O0
	-valgrind --tool=helgrind $(BIN)/zoo/$(ZOO6_PROG)-O0 $(ARGS)
zoo6-drd: $(BIN)/zoo/$(ZOO6_PROG)-O0
	-valgrind --tool=drd $(BIN)/zoo/$(ZOO6_PROG)-O0 $(ARGS)
zoo6-gdb: $(BIN)/zoo/$(ZOO6_PROG)
	@labs/06-timeouts/zoo/look.sh gdb $(BIN)/zoo/$(ZOO6_PROG) $(ARGS)
zoo6-proc: $(BIN)/zoo/$(ZOO6_PROG)
	@labs/06-timeouts/zoo/look.sh proc $(BIN)/zoo/$(ZOO6_PROG) $(ARGS)

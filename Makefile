# The concurrency workbook.  `make help` lists what you can type.
#
# Everything is built out of tree under $(BUILD); nothing generated lands
# beside the sources.  The first build on a fresh machine runs
# scripts/deps.sh, which installs what is missing (or tells you the one
# sudo line to run).

BUILD    ?= build
CFLAGS   ?= -O2 -g
LDFLAGS  ?=
# SANITIZE=thread or SANITIZE=address builds everything with that sanitizer
# (use a separate BUILD directory, e.g. make BUILD=build/tsan SANITIZE=thread).
SANITIZE ?=
# Extra arguments for the lab programs: make lab2 ARGS="--requests 50 --workers 5"
ARGS     ?=

# The project's own flags are always on, whatever CFLAGS says.
WB_CFLAGS := -std=c11 -Wall -Wextra -Werror -pthread -D_GNU_SOURCE -Icommon -MMD -MP \
             -DWB_SOURCE_DIR='"$(CURDIR)"'
WB_LDFLAGS := -pthread -Wl,--as-needed
ifneq ($(SANITIZE),)
WB_CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer
WB_LDFLAGS += -fsanitize=$(SANITIZE)
endif

# V=1 shows the commands; by default one short line per step.
ifeq ($(V),1)
Q :=
say :=
else
Q := @
say = @printf '  %-8s %s\n' '$(1)' '$(2)';
endif

BIN := $(BUILD)/bin
OBJ := $(BUILD)/obj

# --- Dependencies -----------------------------------------------------------
# deps.mk holds the pkg-config flags; making it installs what is missing.
# `make clean` and `make help` must work on a bare machine, so they skip it.
NODEPS_GOALS := clean help
ifneq ($(filter-out $(NODEPS_GOALS),$(or $(MAKECMDGOALS),all)),)
include $(BUILD)/deps.mk
endif

$(BUILD)/deps.mk: scripts/deps.sh
	$(call say,DEPS,$@)scripts/deps.sh $@

# --- The shared toolkit: common/ -------------------------------------------
COMMON_SRCS  := $(wildcard common/*.c)
COMMON_LIB   := $(BUILD)/libcommon.a
LIBS = $(CURL_LIBS) $(EVENT_LIBS) $(CJSON_LIBS) -lm

$(COMMON_LIB): $(COMMON_SRCS:%.c=$(OBJ)/%.o)
	$(call say,AR,$@)$(AR) rcs $@ $^

$(OBJ)/%.o: %.c $(BUILD)/deps.mk
	@mkdir -p $(@D)
	$(call say,CC,$<)$(CC) $(WB_CFLAGS) $(CURL_CFLAGS) $(EVENT_CFLAGS) $(CJSON_CFLAGS) $(EXTRA_CFLAGS) $(CFLAGS) -c $< -o $@

# Link rule shared by every program: objects first, then the toolkit, then libraries.
define link
	@mkdir -p $(@D)
	$(call say,LD,$@)$(CC) $(WB_LDFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^) $(COMMON_LIB) $(LIBS) $(1)
endef

# The lab server, split by job in common/labserver/ (labserver.h says what is where).
LABSERVER_SRCS := $(wildcard common/labserver/*.c)
$(BIN)/labserver: $(LABSERVER_SRCS:%.c=$(OBJ)/%.o) $(COMMON_LIB)
	$(call link)

# --- Tests of the toolkit and the server -------------------------------------
TEST_SUITES := $(patsubst tests/%.c,%,$(wildcard tests/test_*.c))
# tests/fixture.c: what the server's suites share (the program to start, raw sockets).
$(foreach t,$(TEST_SUITES),$(eval $(BIN)/$(t): $(OBJ)/tests/$(t).o $(OBJ)/tests/fixture.o $(COMMON_LIB)))
$(TEST_SUITES:%=$(OBJ)/tests/%.o) $(OBJ)/tests/fixture.o: EXTRA_CFLAGS = $(CRITERION_CFLAGS)
$(TEST_SUITES:%=$(BIN)/%):
	$(call link,$(CRITERION_LIBS))

BENCH_PROGS := $(patsubst tests/%.c,%,$(wildcard tests/bench_*.c))
$(foreach b,$(BENCH_PROGS),$(eval $(BIN)/$(b): $(OBJ)/tests/$(b).o $(COMMON_LIB)))
$(BENCH_PROGS:%=$(BIN)/%):
	$(call link)

# --- Labs --------------------------------------------------------------------
# Each lab N lives in labs/NN-name/: exercises.c (the student's file),
# exercises.h (the contract), main.c (the driver, with driver_*.c when it is
# long) and any other .c files: given code, linked into the lab program, the
# checker and the reference builds alike.  solutions/NN-name/ holds only the reference exercises.c; the
# same driver links with either.
LAB_DIRS := $(notdir $(wildcard labs/[0-9][0-9]-*))
lab_num   = $(patsubst 0%,%,$(firstword $(subst -, ,$(1))))

define LAB_rules
# $(1) = lab number, $(2) = directory name
GIVEN_$(1) := $(patsubst %.c,$(OBJ)/%.o,$(filter-out labs/$(2)/main.c labs/$(2)/driver_%.c labs/$(2)/exercises.c,$(wildcard labs/$(2)/*.c)))
DRIVER_$(1) := $(patsubst %.c,$(OBJ)/%.o,labs/$(2)/main.c $(wildcard labs/$(2)/driver_*.c)) $$(GIVEN_$(1))
$(BIN)/lab$(1): $$(DRIVER_$(1)) $(OBJ)/labs/$(2)/exercises.o $(COMMON_LIB)
	$$(call link,$$(LAB$(1)_LIBS))
$(BIN)/solution$(1): $$(DRIVER_$(1)) $(OBJ)/solutions/$(2)/exercises.o $(COMMON_LIB)
	$$(call link,$$(LAB$(1)_LIBS))
$(BIN)/check$(1): $(OBJ)/tests/lab$(1)_check.o $(OBJ)/tests/checker.o $$(GIVEN_$(1)) $(OBJ)/labs/$(2)/exercises.o $(COMMON_LIB)
	$$(call link,$$(CRITERION_LIBS) $$(LAB$(1)_LIBS))
$(BIN)/check$(1)-solution: $(OBJ)/tests/lab$(1)_check.o $(OBJ)/tests/checker.o $$(GIVEN_$(1)) $(OBJ)/solutions/$(2)/exercises.o $(COMMON_LIB)
	$$(call link,$$(CRITERION_LIBS) $$(LAB$(1)_LIBS))
# A lab's own compiler flags and libraries (LABN_CFLAGS, LABN_LIBS) come from
# its labs/NN-name/lab.mk, when it has one (lab 8's MPI, lab 6's bug zoo).
$(OBJ)/labs/$(2)/%.o: EXTRA_CFLAGS = $$(LAB$(1)_CFLAGS)
$(OBJ)/solutions/$(2)/exercises.o: EXTRA_CFLAGS = -Ilabs/$(2) $$(LAB$(1)_CFLAGS)
$(OBJ)/tests/lab$(1)_check.o: EXTRA_CFLAGS = -Ilabs/$(2) $$(CRITERION_CFLAGS) $$(LAB$(1)_CFLAGS)

LAB_PROGS += $(BIN)/lab$(1) $(BIN)/check$(1)
LAB_NUMS += $(1)
# A student's handout (make handout) has no solutions/: nothing to build from it there.
ifneq ($(wildcard solutions/$(2)/exercises.c),)
LAB_PROGS += $(BIN)/solution$(1) $(BIN)/check$(1)-solution
SOLUTION_NUMS += $(1)
endif

.PHONY: lab$(1) solution$(1) check$(1)
lab$(1): $(BIN)/lab$(1) $(BIN)/labserver
	$(BIN)/lab$(1) $$(ARGS)
solution$(1): $(BIN)/solution$(1) $(BIN)/labserver
	$(BIN)/solution$(1) $$(ARGS)
check$(1): $(BIN)/check$(1) $(BIN)/labserver
	@tests/check.sh $(BIN)/check$(1) $$(ARGS)
# The lab program with YOUR exercises under ThreadSanitizer (the checker cannot
# run under it: Criterion's runner and TSan do not get along).
.PHONY: tsan$(1)
tsan$(1):
	@$(MAKE) -s BUILD=$(BUILD)/thread SANITIZE=thread $(BUILD)/thread/bin/lab$(1) $(BUILD)/thread/bin/labserver
	@tests/tsan.sh $(BUILD)/thread/bin/lab$(1) $$(ARGS)

# A lab may carry a companion in Python (labs/NN-name/python/run.sh): make labN-python.
ifneq ($(wildcard labs/$(2)/python/run.sh),)
.PHONY: lab$(1)-python
lab$(1)-python: $(BIN)/labserver
	@BUILD=$(BUILD) labs/$(2)/python/run.sh $$(ARGS)
endif
endef
# Rules a lab needs beyond the common shape live beside it, in labs/NN-name/lab.mk.
include $(wildcard labs/*/lab.mk)
$(foreach d,$(LAB_DIRS),$(eval $(call LAB_rules,$(call lab_num,$(d)),$(d))))
$(OBJ)/tests/checker.o: EXTRA_CFLAGS = $(CRITERION_CFLAGS)

# --- Wrong solutions the checkers must catch: tests/mutants/labN/NAME.patch ---
# Each patch applies to the lab's reference exercises.c; the result is built
# into its own checker, $(BUILD)/mutants/labN/NAME/check (tests/mutants.sh runs them).
lab_dir_of   = $(firstword $(filter 0$(1)-% $(1)-%,$(LAB_DIRS)))
mutant_lab   = $(patsubst lab%,%,$(firstword $(subst /, ,$(1))))
# LAB=N limits them to one lab: make mutants LAB=2
MUTANT_PATCHES := $(wildcard tests/mutants/lab$(or $(LAB),*)/*.patch)
# Lab 8's checker can only skip without Open MPI: its mutants would prove nothing.
ifeq ($(HAVE_MPI),)
MUTANT_PATCHES := $(filter-out tests/mutants/lab8/%,$(MUTANT_PATCHES))
endif
MUTANT_CHECKS  := $(MUTANT_PATCHES:tests/mutants/%.patch=$(BUILD)/mutants/%/check)

$(BUILD)/mutants/%/exercises.c: tests/mutants/%.patch
	@mkdir -p $(@D)
	$(call say,PATCH,$<)cp solutions/$(call lab_dir_of,$(call mutant_lab,$*))/exercises.c $@.tmp && \
		patch -s --no-backup-if-mismatch -r - $@.tmp <$< && mv $@.tmp $@

$(BUILD)/mutants/%/exercises.o: $(BUILD)/mutants/%/exercises.c $(BUILD)/deps.mk
	$(call say,CC,$<)$(CC) $(WB_CFLAGS) $(CURL_CFLAGS) $(EVENT_CFLAGS) $(CJSON_CFLAGS) \
		-Ilabs/$(call lab_dir_of,$(call mutant_lab,$*)) $(LAB$(call mutant_lab,$*)_CFLAGS) $(CFLAGS) -c $< -o $@

.SECONDEXPANSION:
$(BUILD)/mutants/%/check: $(BUILD)/mutants/%/exercises.o $$(GIVEN_$$(call mutant_lab,$$*)) \
		$$(OBJ)/tests/$$(firstword $$(subst /, ,$$*))_check.o $(OBJ)/tests/checker.o $(COMMON_LIB)
	$(call link,$(CRITERION_LIBS) $(LAB$(call mutant_lab,$*)_LIBS))

# Kept between runs: without them every mutant would be patched and compiled again.
.PRECIOUS: $(BUILD)/mutants/%/exercises.c $(BUILD)/mutants/%/exercises.o

.PHONY: mutants
mutants: $(MUTANT_CHECKS) $(BIN)/labserver
	@BUILD=$(BUILD) tests/mutants.sh $(MUTANT_CHECKS)

# --- Top-level targets -------------------------------------------------------
.DEFAULT_GOAL := all
.PHONY: all solutions server test bench bench-server demo status clean help

all: $(BIN)/labserver $(TEST_SUITES:%=$(BIN)/%) $(BENCH_PROGS:%=$(BIN)/%) $(LAB_PROGS) $(LAB_EXTRA_PROGS)

# The reference programs and the server alone (the sanitizer builds of make test use it).
solutions: $(BIN)/labserver $(SOLUTION_NUMS:%=$(BIN)/solution%)

server: $(BIN)/labserver
	$(BIN)/labserver $(ARGS)

# Built two at a time (every machine here has 2 cores), then the suite.
test: $(BUILD)/deps.mk
	@$(MAKE) -s --no-print-directory -j2 all $(MUTANT_CHECKS)
	@BUILD=$(BUILD) MAKE="$(MAKE)" tests/run.sh $(MUTANT_CHECKS)

bench-server: $(BIN)/labserver $(BIN)/bench_server
	@BUILD=$(BUILD) tests/bench-server.sh

bench: all
	@BUILD=$(BUILD) tests/bench.sh all

demo: all
	@BUILD=$(BUILD) tests/demo.sh

status: $(LAB_NUMS:%=$(BIN)/check%)
	@BUILD=$(BUILD) tests/status.sh

clean:
	rm -rf $(BUILD) out

help:
	@echo 'The concurrency workbook: labs you build, run, and check.'
	@echo
	@echo '  make labN        build lab N from labs/ and run it (starts its own server;'
	@echo '                   LAB_URL=http://host:port points it elsewhere; ARGS="..." adds options)'
	@echo '  make solutionN   the same with the reference exercises (for instructors)'
	@echo '  make present LAB=N  the reference program one experiment at a time, question first (NOPAUSE=1)'
	@echo '  make grade       every checker -> Gradescope results.json (LAB=N for one; RESULTS=path)'
	@echo '  make handout DEST=dir  a copy for students: no solutions/, no mutants; builds and checks'
	@echo '  make checkN      check your lab N exercises one at a time: done / not done / failing / hung'
	@echo '                   (ARGS="--only 2.2" checks one exercise and those it needs or that need it)'
	@echo '  make tsanN       lab N with your exercises under ThreadSanitizer: its report, or "no data race found"'
	@echo '  make status      every lab, every exercise: done or not'
	@echo '  make watch LAB=N re-check lab N on every save of its exercises.c, showing only what changed'
	@echo '  make reset LAB=N put back the untouched exercises.c of lab N (yours is saved beside it)'
	@echo '  make report      out/index.html: every lab'"'"'s last results and plots, for a projector'
	@echo '  make demo        every finished lab, reference version, quick settings'
	@echo '  make lab4-python lab 4'"'"'s experiments in the real CPython (when python3 is there)'
	@echo '  make lab7-python lab 7'"'"'s transfers with asyncio (aiohttp) and a thread pool, beside C'"'"'s'
	@echo '  make zoo6        lab 6'"'"'s bug zoo; make zoo6-tsan PROG=accounts (-helgrind -drd -gdb -proc -O0 -asan)'
	@echo '  make probe9 ARGS=m3  lab 9'"'"'s probe on one mystery workload (build/bin/probe CMD... on any program)'
	@echo '  make test        the whole suite (what CI runs); ends with "N passed, N failed"'
	@echo '  make mutants     the checkers against the wrong solutions in tests/mutants/ (LAB=N for one lab)'
	@echo '  make bench       the benchmark figures, as ratios to the ideal'
	@echo '  make bench-server  the lab server under 10,000 concurrent requests'
	@echo '  make server      run the local httpbin-compatible server in the foreground'
	@echo '  make all         build everything (the default)'
	@echo '  make clean       remove build/ and out/'
	@echo
	@echo 'Labs: $(LAB_DIRS)'
	@echo 'Lab 8 runs on Open MPI (scripts/deps.sh installs it; WB_NO_MPI=1 builds without it).'
	@echo 'Options: V=1 shows commands; CC=clang and CFLAGS=... are honoured; SANITIZE=thread|address.'

# The instructor's toolkit (handout, grade, watch, reset, report, present).
-include scripts/toolkit.mk

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

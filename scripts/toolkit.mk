# toolkit.mk - the instructor's toolkit (the Makefile includes it last).
#
#   make handout DEST=dir   a copy for students: no solutions/, no mutants; it builds, runs, checks
#   make grade [LAB=N]      every lab's checker -> Gradescope's results.json (RESULTS=path)
#   make watch LAB=N        re-check lab N each time exercises.c is saved; shows what changed
#                           (ARGS="--only 2.2" goes to the checker; WATCH="--runs K" / "--poll S" to watch)
#   make reset LAB=N        the untouched handout exercises.c of lab N back (yours saved beside it)
#   make report             out/index.html: every lab's last results, plots, date and machine
#   make present LAB=N      the reference program, one experiment at a time, question first
#                           (NOPAUSE=1: no waiting for Enter; ARGS="--quick" as usual)

.PHONY: handout grade watch reset report present

# The JSON side of make grade (scripts/gradebook.c, on cJSON).
$(BIN)/gradebook: $(OBJ)/scripts/gradebook.o
	$(call link)

# Lab N's directory name, or an error that says what to type.
toolkit_lab = $(or $(call lab_dir_of,$(LAB)),$(error $(1) needs LAB=N, one of: $(LAB_NUMS)))

handout:
	@scripts/handout.sh "$(DEST)"

grade: $(BIN)/gradebook
	@BUILD=$(BUILD) MAKE="$(MAKE)" $(if $(RESULTS),RESULTS="$(RESULTS)") scripts/grade.sh $(LAB)

watch:
	@BUILD=$(BUILD) MAKE="$(MAKE)" scripts/watch.sh $(call toolkit_lab,make watch) $(WATCH)

reset:
	@scripts/reset.sh $(call toolkit_lab,make reset)

report:
	@scripts/report.sh $(or $(REPORT_OUT),out)

# The reference program when solutions/ is here (instructors); the student's own in a handout.
present_prog = $(if $(wildcard solutions/$(call lab_dir_of,$(LAB))/exercises.c),solution,lab)$(LAB)
present:
	@$(MAKE) -s --no-print-directory BUILD=$(BUILD) $(BIN)/$(present_prog) $(BIN)/labserver \
		$(if $(call toolkit_lab,make present),)
	$(BIN)/$(present_prog) --present $(if $(NOPAUSE),--no-pause) $(ARGS)

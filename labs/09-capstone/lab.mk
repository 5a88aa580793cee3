# Lab 9's own rules: the probe, a program of its own (build/bin/probe CMD... or
# build/bin/probe m3), made of the lab's given code.
LAB9_GIVEN_OBJS := $(OBJ)/labs/09-capstone/measure.o $(OBJ)/labs/09-capstone/workloads.o
$(BIN)/probe: $(OBJ)/labs/09-capstone/programs/probe.o $(LAB9_GIVEN_OBJS) $(COMMON_LIB)
	$(call link)
LAB_EXTRA_PROGS += $(BIN)/probe

# `make probe9 ARGS="m3"` (or ARGS="sleep 1"): the probe, with the lab server it needs.
.PHONY: probe9
probe9: $(BIN)/probe $(BIN)/labserver
	$(BIN)/probe $(ARGS)

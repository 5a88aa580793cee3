# Lab 8 runs on Open MPI.  scripts/deps.sh writes HAVE_MPI, MPI_CFLAGS and
# MPI_LIBS into deps.mk.  Without MPI (HAVE_MPI empty) the lab still builds,
# against a stand-in <mpi.h> (labs/08-mpi/no-mpi/): the programs then say
# that Open MPI is missing and exit 0, and the checker reports every check as
# skipped, with that reason.
ifneq ($(HAVE_MPI),)
LAB8_CFLAGS := $(MPI_CFLAGS) -DWB_HAVE_MPI=1
LAB8_LIBS := $(MPI_LIBS)
else
LAB8_CFLAGS := -Ilabs/08-mpi/no-mpi -DWB_HAVE_MPI=0
LAB8_LIBS :=
endif

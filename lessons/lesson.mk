# lessons/lesson.mk: build, run and grade the lessons -- lesson, grade, lessons, grade-all, check-excerpts.
#
# Included by the top Makefile after its variables are set (it uses CC, CSTD, WARN, OPT,
# EXTRA_CFLAGS, INCLUDES, VARIANT, BUILD, B, RT_LIBS, LIBS, CHECK_CFLAGS and CHECK_LIBS):
#
#     include lessons/lesson.mk
#
# A lesson is a folder lessons/NN-name/ holding
#   README.md            the lesson (its code excerpts are checked by check-excerpts)
#   demo*.c              complete programs, each compiled alone against the core and flavours
#   exercise.c           the student's part, with TODOs; exercise.h declares what it provides
#   grade.c              a Check suite that grades exercise.c
#   solution/exercise.c  the reference solution, graded by the same grade.c
# Any other *.h in the folder is a header the lesson's programs share.
#
# Targets:
#   make lesson N=03     build and run lesson 03's demos (N=3, N=03 and N=03-wakers all work)
#   make grade N=03      compile lessons/03-*/exercise.c with its grader and run it
#   make lessons         build and run every demo of every lesson
#   make grade-all       every solution must pass its grader, every untouched exercise must fail
#                        it (a grader that cannot fail is a defect); one line per lesson
#   make check-excerpts  every README excerpt equals the tagged source region it quotes
#   make check-mixing    lesson 12's demos (which fail on purpose) exit with the right code and
#                        message, each within 10 s
#
# Build products go to $(BUILD)/lessons/ (the normal build) or $(BUILD)/<variant>/lessons/,
# like the examples; nothing is written into the source tree.

LESSON_DIRS   := $(sort $(patsubst %/,%,$(wildcard lessons/[0-9][0-9]-*/)))
LESSON_ALL    := $(notdir $(LESSON_DIRS))
LESSON_OUT    := $(if $(filter normal,$(VARIANT)),$(BUILD)/lessons,$(B)/lessons)
LESSON_CFLAGS  = $(CSTD) $(WARN) $(OPT) $(INCLUDES) -pthread $(EXTRA_CFLAGS)
LESSON_TOOLS  := lessons/tools
# TSan needs a fixed memory layout (as in tests/tools/run_suites.sh).
LESSON_RUN    := $(if $(filter tsan,$(VARIANT)),setarch $(shell uname -m) -R)
# The Markdown files whose excerpts are checked.
EXCERPT_DOCS  ?= $(wildcard lessons/README.md lessons/[0-9][0-9]-*/README.md docs/*.md)

# --- which lesson N names --------------------------------------------------------------------
# N=3 and N=03 become "03"; anything else is matched literally against the folder names.
LESSON_N   := $(strip $(N))
LESSON_NUM := $(if $(LESSON_N),$(shell n='$(LESSON_N)'; \
                case "$$n" in (*[!0-9]*) printf '%s' "$$n" ;; (*) printf '%02d' "$$((10#$$n))" ;; esac))
LESSON_SEL := $(if $(LESSON_NUM),$(firstword $(filter $(LESSON_NUM) $(LESSON_NUM)-%,$(LESSON_ALL))))

# lesson_require: stop with exit 2 and the list of lessons unless N named one.
define lesson_require
@if [ -z "$(LESSON_SEL)" ]; then \
	  if [ -z "$(LESSON_N)" ]; then echo "$@: say which lesson, e.g. make $@ N=01" >&2; \
	  else echo "$@: N=$(LESSON_N) is not a lesson" >&2; fi; \
	  echo "the lessons are:" >&2; \
	  for l in $(LESSON_ALL); do echo "  $$l" >&2; done; \
	  exit 2; \
	fi
endef

# --- per-lesson build rules ------------------------------------------------------------------
# lesson_demos(L): the demo binaries of lesson L.
lesson_demos = $(patsubst lessons/$(1)/%.c,$(LESSON_OUT)/$(1)/%,$(sort $(wildcard lessons/$(1)/demo*.c)))
# lesson_graders(L): grade-solution and grade-exercise, for the sources that exist.
lesson_graders = $(if $(wildcard lessons/$(1)/grade.c),\
  $(if $(wildcard lessons/$(1)/solution/exercise.c),$(LESSON_OUT)/$(1)/grade-solution) \
  $(if $(wildcard lessons/$(1)/exercise.c),$(LESSON_OUT)/$(1)/grade-exercise))

# A demo is one .c file linked against the flavours and the core. Each binary also depends on
# every lesson header (a lesson may reuse an earlier one's, e.g. ../03-wakers/thread_sleep.h);
# the archives carry the core's and flavours' header changes.
LESSON_HEADERS := $(wildcard lessons/*/*.h)
define LESSON_DEMO_RULE
$(LESSON_OUT)/$(1)/$(2): lessons/$(1)/$(2).c $(LESSON_HEADERS) $(RT_LIBS)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LESSON_CFLAGS) -Ilessons/$(1) -o $$@ $$< $(RT_LIBS) $$(LIBS)
endef

# A grader is grade.c plus one exercise.c (the student's, or the solution), with Check.
define LESSON_GRADE_RULE
$(LESSON_OUT)/$(1)/grade-$(2): $(3) lessons/$(1)/grade.c $(LESSON_HEADERS) $(RT_LIBS)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LESSON_CFLAGS) $$(CHECK_CFLAGS) -Ilessons/$(1) -o $$@ $(3) lessons/$(1)/grade.c \
	  $(RT_LIBS) $$(CHECK_LIBS) $$(LIBS)
endef

$(foreach l,$(LESSON_ALL),\
  $(foreach d,$(patsubst lessons/$(l)/%.c,%,$(wildcard lessons/$(l)/demo*.c)),\
    $(eval $(call LESSON_DEMO_RULE,$(l),$(d))))\
  $(if $(wildcard lessons/$(l)/grade.c),\
    $(if $(wildcard lessons/$(l)/exercise.c),\
      $(eval $(call LESSON_GRADE_RULE,$(l),exercise,lessons/$(l)/exercise.c)))\
    $(if $(wildcard lessons/$(l)/solution/exercise.c),\
      $(eval $(call LESSON_GRADE_RULE,$(l),solution,lessons/$(l)/solution/exercise.c)))))

LESSON_ALL_DEMOS   := $(foreach l,$(LESSON_ALL),$(call lesson_demos,$(l)))
LESSON_ALL_GRADERS := $(foreach l,$(LESSON_ALL),$(call lesson_graders,$(l)))

# --- the targets -----------------------------------------------------------------------------
.PHONY: lesson grade lessons grade-all check-excerpts check-mixing

lesson: $(if $(LESSON_SEL),$(call lesson_demos,$(LESSON_SEL)))
	$(lesson_require)
	@LESSON_RUN="$(LESSON_RUN)" $(LESSON_TOOLS)/run_demos.sh $(LESSON_OUT) $(LESSON_SEL)

grade: $(if $(LESSON_SEL),$(LESSON_OUT)/$(LESSON_SEL)/grade-exercise)
	$(lesson_require)
	@echo "== grading lessons/$(LESSON_SEL)/exercise.c"
	@$(LESSON_RUN) $(LESSON_OUT)/$(LESSON_SEL)/grade-exercise; rc=$$?; \
	if [ $$rc -eq 0 ]; then echo "grade: $(LESSON_SEL): PASS"; \
	else echo "grade: $(LESSON_SEL): FAIL (the failed checks are listed above)"; exit 1; fi

lessons: $(LESSON_ALL_DEMOS)
	@LESSON_RUN="$(LESSON_RUN)" $(LESSON_TOOLS)/run_demos.sh $(LESSON_OUT) $(LESSON_ALL)

grade-all: $(LESSON_ALL_GRADERS)
	@LESSON_RUN="$(LESSON_RUN)" $(LESSON_TOOLS)/grade_all.sh $(LESSON_OUT) $(LESSON_ALL)

check-excerpts:
	@$(LESSON_TOOLS)/check_excerpts.sh $(EXCERPT_DOCS)

# Lesson 12's demos panic, deadlock and block on purpose: check each one's exit code and key
# message, and that it ends within 10 s.
check-mixing: $(call lesson_demos,12-mixing-runtimes)
	@LESSON_RUN="$(LESSON_RUN)" $(LESSON_TOOLS)/check_mixing.sh $(LESSON_OUT)

/* rb_design.h: what each flavour's design does in each workload -- the "why" the generated reading cites. */
#ifndef RB_DESIGN_H
#define RB_DESIGN_H

/*
 * The report's reading is generated from the numbers, but a number cannot say why. These
 * notes can: each states, for one workload, the mechanism of the tokio-style (tk) and the
 * async-std-style (as) flavour that the workload exercises, as written in their sources
 * (runtimes/tokio/tk_sched_mt.c, tk_io.c, tk_time_driver.c; runtimes/asyncstd/as_executor.c,
 * as_reactor.c, as_time.c). `favours` is what the design predicts, so the reading can say
 * when a measurement goes against it instead of explaining it away.
 */
typedef struct rb_design_note {
    const char *workload;
    const char *tk; /* the tk mechanism, a sentence fragment starting with "tk" */
    const char *as; /* the as mechanism, a sentence fragment starting with "as" */
    int favours;    /* +1: the design predicts tk faster; -1: as; 0: no prediction */
} rb_design_note;

/* The note for a workload, or NULL. */
const rb_design_note *rb_design_find(const char *workload);

#endif

/* rtbench.c: the harness's main -- everything else is in the rb_* files, so the tests can call rb_main. */
#include "rb_cli.h"

/* main: rb_main's exit code is the program's (0, 1, or 2 for a bad command line). */
int main(int argc, char **argv)
{
    return rb_main(argc, argv);
}

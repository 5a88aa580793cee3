/*
 * exercise.h - how an unfinished exercise says so.
 *
 * Every exercise function returns an int: 0 when it worked, -1 when it failed
 * (after saying why), or WB_NOT_DONE while it is still the placeholder from
 * the handout.  The placeholder is one line that names the exercise and
 * hands on the function's parameters:
 *
 *     return TODO("1.2", urls, n, times, tl);
 *
 * which prints "exercise 1.2 not done yet" once on stderr and returns
 * WB_NOT_DONE, so the lab still runs, its table marks the row as not done,
 * and the checker reports the exercise as "not done" rather than "failing".
 * (Passing the parameters on is what keeps -Wextra from calling them unused
 * until you write the code that uses them.)
 */
#ifndef WB_EXERCISE_H
#define WB_EXERCISE_H

#define WB_NOT_DONE (-2)

/* The arguments after the exercise's name are only there to be "used". */
int wb_todo(const char *exercise, ...);
#define TODO(...) wb_todo(__VA_ARGS__)

#endif

// SPDX-License-Identifier: MPL-2.0
/*
 * Kernel tasks and the tick. Kernel images only: the host backend has no
 * context switch (arch/common/user.c) and no interrupts.
 */

#include "ostd/arch/task.h"

#include "ostd/config.h"
#include "ostd/frame.h"
#include "ostd/smp.h"
#include "ostd/task.h"
#include "ostd/test.h"
#include "ostd/timer.h"

#if CONFIG_ARCH_USER_MODE

enum { NTASKS = 3, ROUNDS = 4 };

static struct task tasks[NTASKS];
static char log_buf[NTASKS * ROUNDS + 1];
static unsigned int log_len;

static void logger(void *arg)
{
	char id = (char)(uintptr_t)arg;

	for (int i = 0; i < ROUNDS; i++) {
		log_buf[log_len++] = id;
		task_yield();
	}
	task_exit(id);
}

static int spawn_all(void)
{
	log_len = 0;
	for (int i = 0; i < NTASKS; i++) {
		/*
		 * One CPU, so the log shows the scheduler's order, not a
		 * race between CPUs.
		 */
		if (task_spawn_on(&tasks[i], "logger", logger,
				  (void *)(uintptr_t)('a' + i),
				  smp_cpu_id()) != OSTD_OK) {
			return i;
		}
	}
	return NTASKS;
}

static int join_all(void)
{
	int sum = 0;

	for (int i = 0; i < NTASKS; i++) {
		int code = -1;

		if (task_join(&tasks[i], &code) != OSTD_OK) {
			return -1;
		}
		sum += code;
	}
	return sum;
}

TEST(task, fifo_runs_ready_tasks_in_turn)
{
	ASSERT_EQ(spawn_all(), NTASKS);
	ASSERT_EQ(join_all(), 'a' + 'b' + 'c');
	log_buf[log_len] = '\0';
	ASSERT_STREQ(log_buf, "abcabcabcabc");
}

/* A scheduler a kernel author might inject: last in, first out. */
static struct task *lifo_top;

static void lifo_enqueue(struct task *t)
{
	t->next = lifo_top;
	lifo_top = t;
}

/* Every task here is pinned to one CPU; others see an empty queue. */
static struct task *lifo_pick_next(unsigned int cpu)
{
	struct task *t = lifo_top;

	if (t == NULL || !task_may_run_on(t, cpu)) {
		return NULL;
	}
	lifo_top = t->next;
	return t;
}

static const struct scheduler_ops lifo = {
	.name = "lifo",
	.enqueue = lifo_enqueue,
	.pick_next = lifo_pick_next,
};

TEST(task, an_injected_scheduler_decides)
{
	ASSERT_EQ(task_set_scheduler(&lifo), OSTD_OK);
	ASSERT_EQ(spawn_all(), NTASKS);
	/* Tasks are queued: no switching schedulers under them. */
	ASSERT_EQ(task_set_scheduler(&fifo_scheduler), OSTD_EBUSY);
	ASSERT_EQ(join_all(), 'a' + 'b' + 'c');
	ASSERT_EQ(task_set_scheduler(&fifo_scheduler), OSTD_OK);
	log_buf[log_len] = '\0';
	/*
	 * LIFO: c runs first; each yield puts the yielder on top, so it
	 * runs again until it exits, and so on down.
	 */
	ASSERT_STREQ(log_buf, "ccccbbbbaaaa");
}

static void returns_early(void *arg)
{
	*(int *)arg = 5;
}

TEST(task, bad_calls_are_refused)
{
	static struct task t;
	int ran = 0;
	int code = -1;
	static const struct scheduler_ops half = { .name = "half" };

	ASSERT_EQ(task_spawn(NULL, "x", returns_early, &ran), OSTD_EINVAL);
	ASSERT_EQ(task_spawn(&t, "x", NULL, &ran), OSTD_EINVAL);
	ASSERT_EQ(task_join(task_current(), NULL), OSTD_EINVAL);
	ASSERT_EQ(task_join(NULL, NULL), OSTD_EINVAL);
	ASSERT_EQ(task_set_scheduler(NULL), OSTD_EINVAL);
	ASSERT_EQ(task_set_scheduler(&half), OSTD_EINVAL);
	/* Returning from the function is exit code 0. */
	ASSERT_EQ(task_spawn(&t, "x", returns_early, &ran), OSTD_OK);
	ASSERT_EQ(task_join(&t, &code), OSTD_OK);
	ASSERT_EQ(ran, 5);
	ASSERT_EQ(code, 0);
	/* Joined once: its stack is gone, a second join is refused. */
	ASSERT_EQ(task_join(&t, &code), OSTD_EINVAL);
}

TEST(task, spawn_without_memory_changes_nothing)
{
	static struct task t;
	int ran = 0;

	frame_fi_fail_nth(1);
	ASSERT_EQ(task_spawn(&t, "x", returns_early, &ran), OSTD_ENOMEM);
	frame_fi_fail_nth(0);
	/* Nothing was queued: yielding comes straight back. */
	task_yield();
	ASSERT_EQ(ran, 0);
}

TEST(timer, ticks_advance_while_waiting)
{
	uint64_t start = timer_ticks();

	/* Each wait ends at the next interrupt; only the timer is on. */
	for (int i = 0; i < 1000 && timer_ticks() < start + 3; i++) {
		arch_wait_for_interrupt();
	}
	ASSERT_GE(timer_ticks(), start + 3);
}

#endif /* CONFIG_ARCH_USER_MODE */

/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "ostd/compiler.h"
#include "ostd/err.h"
#include "ostd/frame.h"

/*
 * Kernel tasks (DESIGN.md §9): each has its own kernel stack and runs on
 * any CPU until it yields, blocks in task_join() or exits. In user mode a
 * task is preempted when its time slice (TASK_SLICE_TICKS timer ticks)
 * ends; kernel code is never switched away from involuntarily. Which
 * ready task runs next is the scheduler's choice: FIFO by default,
 * replaceable through task_set_scheduler(). Every CPU has an idle task
 * that runs when nothing else is ready.
 *
 * The boot code's flow (ostd_main()) is itself a task, the boot task.
 */

enum task_state {
	TASK_READY = 1,
	TASK_RUNNING,
	TASK_BLOCKED,
	TASK_EXITED,
};

/* Kernel stack pages per task. */
#define TASK_STACK_PAGES 4

/* Timer ticks a task may run in user mode before it must yield. */
#define TASK_SLICE_TICKS 2

struct page_table;

struct task {
	const char *name;
	enum task_state state;
	uint64_t id;
	void (*fn)(void *arg);
	void *arg;
	int exit_code;
	/* The saved stack pointer while not running (arch context). */
	uintptr_t saved_sp;
	/* The kernel stack; the boot task has none of its own here. */
	struct segment stack;
	bool has_stack;
	/* The task task_join() blocks for this one, or NULL. */
	struct task *joiner;
	/* The scheduler's run-queue link. */
	struct task *next;
	/* Ticks spent in user mode, and the limit (0: none). */
	uint64_t user_ticks;
	uint64_t cpu_limit_ticks;
	/* CPUs it may run on, bit i for CPU i; 0 means any. */
	uint64_t cpu_mask;
	/* The user table this task activated (framework-owned). */
	struct page_table *pt;
};

/*
 * A scheduler: the run queue's policy. Called with interrupts masked and
 * the run queue's lock held, from any CPU.
 */
struct scheduler_ops {
	const char *name;
	/* @p t became ready. */
	void (*enqueue)(struct task *t);
	/*
	 * The next task to run on CPU @p cpu, removed from the queue; NULL
	 * if none may run there (task_may_run_on()).
	 */
	struct task *(*pick_next)(unsigned int cpu);
};

/**
 * Creates a task that runs @p fn(@p arg) on a fresh kernel stack and makes
 * it ready. @p t must stay valid until task_join() returned for it.
 *
 * @retval OSTD_EINVAL @p t or @p fn is NULL.
 * @retval OSTD_ENOMEM No memory for the stack; nothing changed.
 */
WARN_UNUSED ostd_err_t task_spawn(struct task *t, const char *name,
				  void (*fn)(void *arg), void *arg);

/**
 * task_spawn(), but @p t only ever runs on CPU @p cpu (< smp_cpu_count()).
 *
 * @retval OSTD_EINVAL as task_spawn(), or @p cpu is not online.
 */
WARN_UNUSED ostd_err_t task_spawn_on(struct task *t, const char *name,
				     void (*fn)(void *arg), void *arg,
				     unsigned int cpu);

/** May @p t run on CPU @p cpu (its affinity)? For schedulers. */
static inline bool task_may_run_on(const struct task *t, unsigned int cpu)
{
	return t->cpu_mask == 0 || (t->cpu_mask & (1ULL << cpu)) != 0;
}

/** Gives the CPU to the next ready task, if any; returns when rescheduled. */
void task_yield(void);

/** Ends the calling task with @p code (returning from fn means 0). */
NORETURN void task_exit(int code);

/**
 * Waits until @p t exited, frees its stack and returns its exit code.
 *
 * @retval OSTD_EINVAL @p t is the caller, or someone already joins it.
 */
WARN_UNUSED ostd_err_t task_join(struct task *t, int *exit_code);

/** The running task. */
struct task *task_current(void);

/**
 * Limits the CPU time @p t may spend in user mode to @p ms milliseconds
 * (0: no limit). Once it is used up, user_mode_execute() returns
 * USER_RETURN_KERNEL_EVENT instead of resuming the program: the kernel
 * decides what happens (the example kernel kills it with status 137, as
 * `timeout -s KILL` reports it). Counted in timer ticks.
 */
void task_set_cpu_limit(struct task *t, uint64_t ms);

/** Milliseconds @p t spent in user mode (tick granularity). */
uint64_t task_user_ms(const struct task *t);

/**
 * Replaces the scheduler. Only while no task but the caller exists
 * (before the first spawn, or after every spawned task was joined).
 *
 * @retval OSTD_EINVAL @p ops or one of its functions is NULL.
 * @retval OSTD_EBUSY Tasks are queued.
 */
WARN_UNUSED ostd_err_t task_set_scheduler(const struct scheduler_ops *ops);

/** The FIFO scheduler, the default. */
extern const struct scheduler_ops fifo_scheduler;

/** The first C function of every new task (core/task.c). */
NORETURN void task_entry(void);

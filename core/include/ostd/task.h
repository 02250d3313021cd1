/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "ostd/compiler.h"
#include "ostd/err.h"
#include "ostd/frame.h"

/*
 * Kernel tasks (DESIGN.md §9): each has its own kernel stack and runs
 * until it yields, blocks in task_join() or exits. Switching is
 * cooperative and the CPU is one (SMP comes later). Which ready task runs
 * next is the scheduler's choice: FIFO by default, replaceable through
 * task_set_scheduler().
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
};

/* A scheduler: the run queue's policy. Called with interrupts masked. */
struct scheduler_ops {
	const char *name;
	/* @p t became ready. */
	void (*enqueue)(struct task *t);
	/* The next task to run, removed from the queue; NULL if none. */
	struct task *(*pick_next)(void);
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

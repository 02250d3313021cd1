// SPDX-License-Identifier: MPL-2.0
/*
 * Kernel tasks on one CPU, cooperatively scheduled. The run queue belongs
 * to the scheduler (struct scheduler_ops); this file keeps the states and
 * does the switching. Interrupt handlers never touch tasks, so masking
 * interrupts around the queue is all the locking there is; SMP will need
 * a lock per run queue.
 *
 * A task that exits cannot free the stack it is running on: its joiner
 * does, after the switch away from it.
 */

#include "ostd/arch/task.h"

#include "ostd/arch/cpu.h"
#include "ostd/arch/mm.h"

#include "ostd/assert.h"
#include "ostd/panic.h"
#include "ostd/task.h"

/* The flow ostd_boot() started in: ostd_main() and its callees. */
static struct task boot_task = {
	.name = "boot",
	.state = TASK_RUNNING,
	.id = 0,
};

static struct task *current = &boot_task;
static uint64_t next_id = 1;
static unsigned int queued;

/* FIFO: a singly linked queue with a tail pointer. */
static struct task *fifo_head;
static struct task *fifo_tail;

static void fifo_enqueue(struct task *t)
{
	t->next = NULL;
	if (fifo_tail == NULL) {
		fifo_head = t;
	} else {
		fifo_tail->next = t;
	}
	fifo_tail = t;
}

static struct task *fifo_pick_next(void)
{
	struct task *t = fifo_head;

	if (t != NULL) {
		fifo_head = t->next;
		if (fifo_head == NULL) {
			fifo_tail = NULL;
		}
		t->next = NULL;
	}
	return t;
}

const struct scheduler_ops fifo_scheduler = {
	.name = "fifo",
	.enqueue = fifo_enqueue,
	.pick_next = fifo_pick_next,
};

static const struct scheduler_ops *sched = &fifo_scheduler;

struct task *task_current(void)
{
	return current;
}

static void make_ready(struct task *t)
{
	t->state = TASK_READY;
	queued++;
	sched->enqueue(t);
}

/*
 * Switches to the next ready task. The caller has set its own state (and
 * queued itself if still ready). Interrupts masked.
 */
static void schedule(void)
{
	struct task *prev = current;
	struct task *next = sched->pick_next();

	if (next == NULL) {
		/* Nothing else can run: a blocked caller would never wake. */
		CHECK(prev->state == TASK_RUNNING);
		return;
	}
	queued--;
	CHECK(next->state == TASK_READY);
	next->state = TASK_RUNNING;
	if (next == prev) {
		return;
	}
	current = next;
	arch_context_switch(&prev->saved_sp, next->saved_sp);
}

ostd_err_t task_spawn(struct task *t, const char *name, void (*fn)(void *arg),
		      void *arg)
{
	CHECKIF (t == NULL || fn == NULL) {
		return OSTD_EINVAL;
	}
	struct segment stack;
	ostd_err_t err =
		segment_alloc(TASK_STACK_PAGES, &frame_type_kernel, 0, &stack);

	if (err != OSTD_OK) {
		return err;
	}
	uintptr_t base = (uintptr_t)arch_paddr_to_ptr(stack.pa);

	*t = (struct task){
		.name = name != NULL ? name : "task",
		.fn = fn,
		.arg = arg,
		.stack = stack,
		.has_stack = true,
		.saved_sp = arch_task_stack_init(base +
						 TASK_STACK_PAGES * PAGE_SIZE),
	};
	unsigned long flags = arch_irq_save();

	t->id = next_id++;
	make_ready(t);
	arch_irq_restore(flags);
	return OSTD_OK;
}

void task_yield(void)
{
	unsigned long flags = arch_irq_save();

	make_ready(current);
	schedule();
	arch_irq_restore(flags);
}

void task_exit(int code)
{
	(void)arch_irq_save();
	struct task *self = current;

	CHECK(self != &boot_task);
	self->exit_code = code;
	self->state = TASK_EXITED;
	if (self->joiner != NULL) {
		make_ready(self->joiner);
	}
	schedule();
	panic("task %s ran after it exited", self->name);
}

void task_entry(void)
{
	struct task *self = current;

	/* A new task starts as if returning from schedule(). */
	arch_irq_enable();
	self->fn(self->arg);
	task_exit(0);
}

ostd_err_t task_join(struct task *t, int *exit_code)
{
	CHECKIF (t == NULL || t == current || t->joiner != NULL ||
		 !t->has_stack) {
		return OSTD_EINVAL;
	}
	unsigned long flags = arch_irq_save();

	while (t->state != TASK_EXITED) {
		t->joiner = current;
		current->state = TASK_BLOCKED;
		schedule();
	}
	t->joiner = NULL;
	arch_irq_restore(flags);
	segment_drop(&t->stack);
	t->has_stack = false;
	if (exit_code != NULL) {
		*exit_code = t->exit_code;
	}
	return OSTD_OK;
}

ostd_err_t task_set_scheduler(const struct scheduler_ops *ops)
{
	CHECKIF (ops == NULL || ops->enqueue == NULL ||
		 ops->pick_next == NULL) {
		return OSTD_EINVAL;
	}
	unsigned long flags = arch_irq_save();
	ostd_err_t err = OSTD_OK;

	if (queued != 0) {
		err = OSTD_EBUSY;
	} else {
		sched = ops;
	}
	arch_irq_restore(flags);
	return err;
}

// SPDX-License-Identifier: MPL-2.0
/*
 * Kernel tasks on every CPU. One run queue, under one lock, belongs to the
 * scheduler (struct scheduler_ops); any CPU runs any ready task. This file
 * keeps the states and does the switching.
 *
 * The run-queue lock is held across arch_context_switch() and released
 * by the task that runs next, on its own stack (as xv6 does): until the
 * switch has saved the old task's registers no other CPU can pick it,
 * and a task that exits is off its stack before its joiner may free it.
 *
 * Preemption: the timer tick ends a task's time slice; a task in user mode
 * gives up the CPU when the tick interrupts it (core/user.c). Kernel code
 * is never switched away from involuntarily, so a spinlock or cursor held
 * in the kernel is never held by a task that is not running; the per-CPU
 * preempt_count (cursors, the RCU read side) makes switching while one is
 * held a loud bug instead of a silent one.
 */

#include "ostd/arch/task.h"

#include "ostd/arch/cpu.h"
#include "ostd/arch/mm.h"
#include "ostd/arch/tlb.h"

#include "ostd/assert.h"
#include "ostd/internal/cpu_local.h"
#include "ostd/internal/sched.h"
#include "ostd/panic.h"
#include "ostd/plat.h"
#include "ostd/smp.h"
#include "ostd/task.h"
#include "ostd/timer.h"

#include "mm/vm_space_internal.h"

/* The flow ostd_boot() started in: ostd_main() and its callees. */
static struct task boot_task = {
	.name = "boot",
	.state = TASK_RUNNING,
	.id = 0,
};

/* The idle flow of each CPU; CPU 0's has a stack of its own. */
static struct task idle_tasks[OSTD_MAX_CPUS];

static struct spinlock rq_lock = SPINLOCK_INIT;
static uint64_t next_id = 1;
static unsigned int queued;
/* CPUs in their idle loop, to be woken by an IPI when work arrives. */
static _Atomic uint64_t idle_mask;

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

/* The first task allowed on @p cpu: O(n) only past pinned tasks. */
static struct task *fifo_pick_next(unsigned int cpu)
{
	struct task *prev = NULL;

	for (struct task *t = fifo_head; t != NULL; prev = t, t = t->next) {
		if (!task_may_run_on(t, cpu)) {
			continue;
		}
		if (prev == NULL) {
			fifo_head = t->next;
		} else {
			prev->next = t->next;
		}
		if (fifo_tail == t) {
			fifo_tail = prev;
		}
		t->next = NULL;
		return t;
	}
	return NULL;
}

const struct scheduler_ops fifo_scheduler = {
	.name = "fifo",
	.enqueue = fifo_enqueue,
	.pick_next = fifo_pick_next,
};

static const struct scheduler_ops *sched = &fifo_scheduler;

struct task *task_current(void)
{
	struct task *t = cpu_local()->current;

	/* Before task_init_boot_cpu(): the boot flow. */
	return t != NULL ? t : &boot_task;
}

/*
 * Wakes the idle CPUs (other than this one) that may run @p t, to pick
 * it up; the first to take the run-queue lock gets it.
 */
static void kick_idle_cpus(const struct task *t)
{
	uint64_t idle = atomic_load(&idle_mask) & ~(1ULL << arch_cpu_id());

	if (t->cpu_mask != 0) {
		idle &= t->cpu_mask;
	}
	for (; idle != 0; idle &= idle - 1) {
		plat_send_ipi(
			cpu_local_of((unsigned int)__builtin_ctzll(idle)));
	}
}

/* rq_lock held. */
static void make_ready(struct task *t)
{
	t->state = TASK_READY;
	queued++;
	sched->enqueue(t);
}

/*
 * Switches to the next ready task, or to this CPU's idle task if none and
 * the caller cannot go on. The caller holds rq_lock with interrupts
 * masked and has set its own state (and queued itself if still ready);
 * it holds rq_lock again when this returns.
 */
static bool schedule_locked(void)
{
	struct cpu_local *cl = cpu_local();
	struct task *prev = cl->current;
	struct task *next = sched->pick_next(cl->id);

	/* Blocking or yielding inside a cursor or an RCU read side. */
	CHECK(atomic_load_explicit(&cl->preempt_count, memory_order_relaxed) ==
	      0);
	/* A switch point is outside every read side: a quiescent state. */
	pt_rcu_note_qs(cl);
	if (next != NULL) {
		queued--;
		CHECK(next->state == TASK_READY);
	} else if (prev->state == TASK_RUNNING || prev == cl->idle) {
		/* Nothing else to run here: go on. */
		prev->state = TASK_RUNNING;
		return false;
	} else {
		next = cl->idle;
	}
	next->state = TASK_RUNNING;
	cl->slice_left = TASK_SLICE_TICKS;
	atomic_store(&cl->need_resched, false);
	if (next == prev) {
		return false;
	}
	if (prev == cl->idle) {
		atomic_fetch_and(&idle_mask, ~(1ULL << cl->id));
	}
	cl->current = next;
	arch_context_switch(&prev->saved_sp, next->saved_sp);
	/* prev runs again here, maybe on another CPU. */
	vm_space_task_resumed(prev);
	return true;
}

void task_init_cpu(struct cpu_local *cl)
{
	struct task *idle = &idle_tasks[cl->id];

	*idle = (struct task){ .name = "idle", .state = TASK_RUNNING };
	cl->idle = idle;
	cl->current = idle;
	cl->slice_left = TASK_SLICE_TICKS;
}

static void boot_idle_fn(void *arg)
{
	(void)arg;
	task_idle_loop();
}

void task_init_boot_cpu(void)
{
	struct cpu_local *cl = cpu_local();
	struct task *idle = &idle_tasks[0];
	struct segment stack;

	if (segment_alloc(TASK_STACK_PAGES, &frame_type_kernel, 0, &stack) !=
	    OSTD_OK) {
		panic("no memory for the boot CPU's idle stack");
	}
	uintptr_t top = (uintptr_t)arch_paddr_to_ptr(stack.pa) +
			TASK_STACK_PAGES * PAGE_SIZE;

	*idle = (struct task){
		.name = "idle",
		.state = TASK_READY,
		.fn = boot_idle_fn,
		.stack = stack,
		.has_stack = true,
		.saved_sp = arch_task_stack_init(top),
	};
	cl->idle = idle;
	cl->current = &boot_task;
	cl->slice_left = TASK_SLICE_TICKS;
}

void task_idle_loop(void)
{
	struct cpu_local *cl = cpu_local();
	uint64_t self = 1ULL << cl->id;

	for (;;) {
		unsigned long flags = arch_irq_save();

		spin_lock(&rq_lock);
		/*
		 * In idle_mask before looking at the queue, under its lock: a
		 * task queued after this sees the bit and sends an IPI, which
		 * stays pending while interrupts are masked and ends the wait
		 * below at once.
		 */
		atomic_fetch_or(&idle_mask, self);
		cl->idle->state = TASK_READY;
		bool ran = schedule_locked();

		spin_unlock(&rq_lock);
		if (!ran) {
			/* Asleep, this CPU holds up no RCU grace period. */
			pt_rcu_idle_enter(cl);
			arch_wait_for_interrupt();
			pt_rcu_idle_exit(cl);
		}
		atomic_fetch_and(&idle_mask, ~self);
		arch_irq_restore(flags);
	}
}

static ostd_err_t spawn(struct task *t, const char *name, void (*fn)(void *arg),
			void *arg, uint64_t cpu_mask)
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
		.cpu_mask = cpu_mask,
		.saved_sp = arch_task_stack_init(base +
						 TASK_STACK_PAGES * PAGE_SIZE),
	};
	unsigned long flags = arch_irq_save();

	spin_lock(&rq_lock);
	t->id = next_id++;
	make_ready(t);
	spin_unlock(&rq_lock);
	kick_idle_cpus(t);
	arch_irq_restore(flags);
	return OSTD_OK;
}

ostd_err_t task_spawn(struct task *t, const char *name, void (*fn)(void *arg),
		      void *arg)
{
	return spawn(t, name, fn, arg, 0);
}

ostd_err_t task_spawn_on(struct task *t, const char *name,
			 void (*fn)(void *arg), void *arg, unsigned int cpu)
{
	CHECKIF (cpu >= OSTD_MAX_CPUS ||
		 (smp_cpu_online_mask() & (1ULL << cpu)) == 0) {
		return OSTD_EINVAL;
	}
	return spawn(t, name, fn, arg, 1ULL << cpu);
}

void task_yield(void)
{
	unsigned long flags = arch_irq_save();
	struct cpu_local *cl = cpu_local();

	spin_lock(&rq_lock);
	if (cl->current != cl->idle) {
		make_ready(cl->current);
	}
	schedule_locked();
	spin_unlock(&rq_lock);
	arch_irq_restore(flags);
}

void task_exit(int code)
{
	(void)arch_irq_save();
	struct task *self = task_current();

	CHECK(self != &boot_task && self != cpu_local()->idle);
	vm_space_task_exit(self);
	spin_lock(&rq_lock);
	self->exit_code = code;
	self->state = TASK_EXITED;
	struct task *joiner = self->joiner;

	if (joiner != NULL) {
		make_ready(joiner);
	}
	schedule_locked();
	panic("task %s ran after it exited", self->name);
}

void task_entry(void)
{
	/* A new task starts as if returning from schedule_locked(). */
	spin_unlock(&rq_lock);
	arch_irq_enable();
	struct task *self = task_current();

	self->fn(self->arg);
	task_exit(0);
}

ostd_err_t task_join(struct task *t, int *exit_code)
{
	struct task *self = task_current();

	CHECKIF (t == NULL || t == self || !t->has_stack) {
		return OSTD_EINVAL;
	}
	unsigned long flags = arch_irq_save();

	spin_lock(&rq_lock);
	CHECKIF (t->joiner != NULL) {
		spin_unlock(&rq_lock);
		arch_irq_restore(flags);
		return OSTD_EINVAL;
	}
	while (t->state != TASK_EXITED) {
		t->joiner = self;
		self->state = TASK_BLOCKED;
		schedule_locked();
	}
	t->joiner = NULL;
	/*
	 * t switched away for the last time with rq_lock held, and we hold
	 * it now: t's stack is no longer in use on any CPU.
	 */
	spin_unlock(&rq_lock);
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

	spin_lock(&rq_lock);
	if (queued != 0) {
		err = OSTD_EBUSY;
	} else {
		sched = ops;
	}
	spin_unlock(&rq_lock);
	arch_irq_restore(flags);
	return err;
}

void task_tick(void)
{
	struct cpu_local *cl = cpu_local();
	struct task *t = cl->current;

	atomic_fetch_add_explicit(&cl->ticks, 1, memory_order_relaxed);
	/*
	 * The tick interrupted code outside any read side (the count is
	 * this CPU's own): a quiescent state, so a grace period lasts at
	 * most a tick without the expedited path.
	 */
	if (atomic_load_explicit(&cl->preempt_count, memory_order_relaxed) ==
	    0) {
		pt_rcu_note_qs(cl);
	}
	if (t == NULL || t == cl->idle) {
		return;
	}
	if (cl->in_user) {
		t->user_ticks++;
	}
	if (cl->slice_left > 0) {
		cl->slice_left--;
	}
	if (cl->slice_left == 0) {
		atomic_store(&cl->need_resched, true);
	}
}

bool task_need_resched(void)
{
	return atomic_load(&cpu_local()->need_resched);
}

bool task_kernel_event_pending(void)
{
	const struct task *t = task_current();

	return t->cpu_limit_ticks != 0 && t->user_ticks >= t->cpu_limit_ticks;
}

void task_set_cpu_limit(struct task *t, uint64_t ms)
{
	t->cpu_limit_ticks = ms == 0 ? 0 : (ms * OSTD_TICK_HZ + 999) / 1000;
}

uint64_t task_user_ms(const struct task *t)
{
	return t->user_ticks * 1000 / OSTD_TICK_HZ;
}

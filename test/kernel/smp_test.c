// SPDX-License-Identifier: MPL-2.0
/*
 * SMP in the kernel images: cross-CPU calls, tasks pinned to each CPU and
 * tasks free to run anywhere, and user mode preempted by the tick and
 * stopped by the CPU-time limit.
 *
 * Kernel images only: the host backend has no context switch, no timer
 * interrupt and no user mode (arch/common/user.c), and its simulated CPUs
 * (arch/host/sim.c) are covered by the host suite.
 *
 * Every test holds for any number of CPUs, one included: with one CPU a
 * call to "every CPU" is a call to this one, and both sides of a
 * cross-CPU exchange run as tasks on the same CPU. Each test says in the
 * log what it could not cover with the CPUs it had. Assertions come after
 * every spawned task was joined, so a failure never leaves a task running
 * into the next test.
 */

#include <stdatomic.h>

#include "ostd/arch/cpu.h"

#include "ostd/config.h"
#include "ostd/printf.h"
#include "ostd/smp.h"
#include "ostd/task.h"
#include "ostd/test.h"

#include "ktest_util.h"

#if CONFIG_ARCH_USER_MODE

/* How long any wait in these tests may take before it is a failure. */
#define WAIT_MS 5000

static uint64_t bit(unsigned int cpu)
{
	return 1ULL << cpu;
}

/* ---------------------------------------------------------------------
 * smp_call()
 * --------------------------------------------------------------------- */

struct call_log {
	/* Calls each CPU answered, by the index it reports for itself. */
	atomic_uint hits[OSTD_MAX_CPUS];
	atomic_uint total;
};

static struct call_log call_log;

static void record_call(void *arg)
{
	struct call_log *log = arg;

	atomic_fetch_add(&log->hits[smp_cpu_id()], 1);
	atomic_fetch_add(&log->total, 1);
}

static void call_log_reset(struct call_log *log)
{
	for (unsigned int i = 0; i < OSTD_MAX_CPUS; i++) {
		atomic_store(&log->hits[i], 0);
	}
	atomic_store(&log->total, 0);
}

/* True if exactly the CPUs in @p mask answered, each @p times. */
static bool answered_exactly(const struct call_log *log, uint64_t mask,
			     unsigned int times)
{
	for (unsigned int cpu = 0; cpu < OSTD_MAX_CPUS; cpu++) {
		unsigned int want = (mask & bit(cpu)) != 0 ? times : 0;

		if (atomic_load(&log->hits[cpu]) != want) {
			ostd_printf("smp_call: CPU %u answered %u time(s), "
				    "not %u\n",
				    cpu, atomic_load(&log->hits[cpu]), want);
			return false;
		}
	}
	return true;
}

/*
 * smp_call(wait = true) runs fn on every CPU of the set, this one
 * included (directly) when it is in the set, and returns after all of
 * them did; with this CPU left out, only the others answer.
 */
TEST(smp, call_reaches_every_online_cpu_once)
{
	uint64_t online = smp_cpu_online_mask();
	unsigned int n = smp_cpu_count();

	ASSERT_EQ((uint64_t)__builtin_popcountll(online), n);
	ASSERT_TRUE((online & bit(0)) != 0);
	ASSERT_TRUE(smp_cpu_id() < n);

	call_log_reset(&call_log);
	ASSERT_EQ(smp_call(online, record_call, &call_log, true), OSTD_OK);
	ASSERT_TRUE(answered_exactly(&call_log, online, 1));
	ASSERT_EQ(atomic_load(&call_log.total), n);

	/*
	 * The caller's CPU out of the set. Interrupts masked around it so
	 * the caller cannot move to another CPU between the two reads.
	 */
	unsigned long flags = arch_irq_save();
	uint64_t others = online & ~bit(smp_cpu_id());

	call_log_reset(&call_log);
	ostd_err_t err = smp_call(others, record_call, &call_log, true);

	arch_irq_restore(flags);
	ASSERT_EQ(err, OSTD_OK);
	ASSERT_TRUE(answered_exactly(&call_log, others, 1));
	if (n == 1) {
		ostd_printf("smp_test: 1 CPU: the call to the other CPUs "
			    "had no target; remote answers need >= 2 CPUs\n");
	}
}

static bool total_reached(void *arg)
{
	return atomic_load(&call_log.total) >= (unsigned int)(uintptr_t)arg;
}

/* Without wait the call returns early; every target still answers. */
TEST(smp, call_without_wait_is_answered)
{
	uint64_t online = smp_cpu_online_mask();
	unsigned int n = smp_cpu_count();

	call_log_reset(&call_log);
	/* call_log is static: it outlives the calls, as the API requires. */
	ASSERT_EQ(smp_call(online, record_call, &call_log, false), OSTD_OK);
	bool all = kt_wait_until(total_reached, (void *)(uintptr_t)n, WAIT_MS);

	ASSERT_TRUE(all);
	ASSERT_TRUE(answered_exactly(&call_log, online, 1));
}

TEST(smp, call_refuses_a_null_fn_and_offline_cpus)
{
	uint64_t online = smp_cpu_online_mask();
	uint64_t offline = ~online;

	call_log_reset(&call_log);
	ASSERT_EQ(smp_call(online, NULL, NULL, true), OSTD_EINVAL);
	ASSERT_EQ(smp_call(online, NULL, NULL, false), OSTD_EINVAL);
	/* 64 CPUs online would leave no offline CPU to name. */
	ASSERT_NE(offline, 0);
	uint64_t one_offline = offline & -offline;

	ASSERT_EQ(smp_call(one_offline, record_call, &call_log, true),
		  OSTD_EINVAL);
	/* A set with online CPUs and one offline: refused as a whole. */
	ASSERT_EQ(smp_call(online | one_offline, record_call, &call_log, true),
		  OSTD_EINVAL);
	/* Nothing ran for any refused call. */
	ASSERT_EQ(atomic_load(&call_log.total), 0);
	/* The empty set is valid and calls nobody. */
	ASSERT_EQ(smp_call(0, record_call, &call_log, true), OSTD_OK);
	ASSERT_EQ(atomic_load(&call_log.total), 0);
}

/*
 * Every CPU calls every CPU at the same time, many times: the callers
 * answer each other's calls while they wait (smp_call's contract), so
 * nothing deadlocks and every call is answered exactly once.
 */
enum { STORM_ROUNDS = 200 };

static struct task storm_tasks[OSTD_MAX_CPUS];
static atomic_uint storm_errors;

static void storm(void *arg)
{
	(void)arg;
	for (int i = 0; i < STORM_ROUNDS; i++) {
		if (smp_call(smp_cpu_online_mask(), record_call, &call_log,
			     true) != OSTD_OK) {
			atomic_fetch_add(&storm_errors, 1);
		}
	}
}

TEST(smp, every_cpu_calls_every_cpu_at_once)
{
	unsigned int n = smp_cpu_count();
	unsigned int spawned = 0;

	call_log_reset(&call_log);
	atomic_store(&storm_errors, 0);
	for (unsigned int cpu = 0; cpu < n; cpu++) {
		if (task_spawn_on(&storm_tasks[cpu], "storm", storm, NULL,
				  cpu) != OSTD_OK) {
			break;
		}
		spawned++;
	}
	for (unsigned int cpu = 0; cpu < spawned; cpu++) {
		int code = -1;

		if (task_join(&storm_tasks[cpu], &code) != OSTD_OK) {
			atomic_fetch_add(&storm_errors, 1);
		}
	}
	ASSERT_EQ(spawned, n);
	ASSERT_EQ(atomic_load(&storm_errors), 0);
	ASSERT_EQ(atomic_load(&call_log.total), n * n * STORM_ROUNDS);
	ASSERT_TRUE(answered_exactly(&call_log, smp_cpu_online_mask(),
				     n * STORM_ROUNDS));
}

/* ---------------------------------------------------------------------
 * Tasks and CPUs
 * --------------------------------------------------------------------- */

struct pinned_run {
	struct task task;
	unsigned int cpu;
	/* Where it found itself: first, and after yielding. */
	unsigned int first_cpu;
	unsigned int last_cpu;
	bool ran;
};

static struct pinned_run pinned[OSTD_MAX_CPUS];

static void pinned_fn(void *arg)
{
	struct pinned_run *p = arg;

	p->first_cpu = smp_cpu_id();
	p->last_cpu = p->first_cpu;
	/* Each yield may reschedule it; it must come back on its CPU. */
	for (int i = 0; i < 10; i++) {
		task_yield();
		if (smp_cpu_id() != p->first_cpu) {
			p->last_cpu = smp_cpu_id();
		}
	}
	p->ran = true;
	task_exit(100 + (int)p->cpu);
}

struct joiner_report {
	unsigned int spawned;
	unsigned int joined;
	/* The joiner's CPU was ever something but 0. */
	bool left_cpu0;
	int codes_ok;
	ostd_err_t offline_spawn;
};

static struct task joiner_task;
static struct joiner_report joiner_report;

/*
 * Pinned to CPU 0: spawns one task on every CPU and joins each one from
 * CPU 0, so with several CPUs every join but one waits for another CPU.
 */
static void joiner_fn(void *arg)
{
	struct joiner_report *r = arg;
	unsigned int n = smp_cpu_count();
	static struct task never;

	r->left_cpu0 = smp_cpu_id() != 0;
	/* An offline CPU is refused before anything is allocated. */
	r->offline_spawn = n < OSTD_MAX_CPUS ? task_spawn_on(&never, "never",
							     pinned_fn, NULL, n)
					     : OSTD_EINVAL;
	for (unsigned int cpu = 0; cpu < n; cpu++) {
		pinned[cpu] = (struct pinned_run){ .cpu = cpu };
		if (task_spawn_on(&pinned[cpu].task, "pinned", pinned_fn,
				  &pinned[cpu], cpu) != OSTD_OK) {
			break;
		}
		r->spawned++;
	}
	for (unsigned int cpu = 0; cpu < r->spawned; cpu++) {
		int code = -1;

		if (task_join(&pinned[cpu].task, &code) == OSTD_OK) {
			r->joined++;
			r->codes_ok += code == 100 + (int)cpu;
		}
		r->left_cpu0 |= smp_cpu_id() != 0;
	}
}

TEST(smp, pinned_tasks_run_on_their_cpu_and_join_across_cpus)
{
	unsigned int n = smp_cpu_count();
	int code = -1;

	joiner_report = (struct joiner_report){ .offline_spawn = OSTD_OK };
	ASSERT_EQ(task_spawn_on(&joiner_task, "joiner", joiner_fn,
				&joiner_report, 0),
		  OSTD_OK);
	ASSERT_EQ(task_join(&joiner_task, &code), OSTD_OK);
	ASSERT_EQ(code, 0);
	ASSERT_EQ(joiner_report.offline_spawn, OSTD_EINVAL);
	ASSERT_EQ(joiner_report.spawned, n);
	ASSERT_EQ(joiner_report.joined, n);
	ASSERT_EQ(joiner_report.codes_ok, (int)n);
	ASSERT_FALSE(joiner_report.left_cpu0);
	for (unsigned int cpu = 0; cpu < n; cpu++) {
		ASSERT_TRUE(pinned[cpu].ran);
		ASSERT_EQ(pinned[cpu].first_cpu, cpu);
		ASSERT_EQ(pinned[cpu].last_cpu, cpu);
	}
	if (n == 1) {
		ostd_printf("smp_test: 1 CPU: the pinned task and its joiner "
			    "shared CPU 0; a cross-CPU join needs >= 2 "
			    "CPUs\n");
	}
}

enum { FREE_ROUNDS = 4, FREE_TASKS = 16 };

static struct task free_tasks[FREE_TASKS];
static atomic_uint free_done;
static _Atomic uint64_t free_cpus;

static void free_fn(void *arg)
{
	atomic_fetch_or(&free_cpus, bit(smp_cpu_id()));
	/* A yield or two: a chance to be picked up elsewhere. */
	for (uintptr_t i = 0; i < (uintptr_t)arg % 3; i++) {
		task_yield();
	}
	atomic_fetch_or(&free_cpus, bit(smp_cpu_id()));
	atomic_fetch_add(&free_done, 1);
	task_exit((int)(uintptr_t)arg);
}

/*
 * Many short tasks with no affinity: every one runs to its end and is
 * joined with its own exit code, wherever it ran. Which CPUs took them
 * is printed, not asserted (no timing in tests).
 */
TEST(smp, unpinned_tasks_all_complete)
{
	unsigned int spawned = 0;
	unsigned int codes_ok = 0;

	atomic_store(&free_done, 0);
	atomic_store(&free_cpus, 0);
	for (unsigned int round = 0; round < FREE_ROUNDS; round++) {
		unsigned int here = 0;

		for (uintptr_t i = 0; i < FREE_TASKS; i++) {
			if (task_spawn(&free_tasks[i], "free", free_fn,
				       (void *)(i + round * FREE_TASKS)) !=
			    OSTD_OK) {
				break;
			}
			here++;
		}
		for (uintptr_t i = 0; i < here; i++) {
			int code = -1;

			if (task_join(&free_tasks[i], &code) == OSTD_OK &&
			    code == (int)(i + round * FREE_TASKS)) {
				codes_ok++;
			}
		}
		spawned += here;
	}
	ostd_printf("smp_test: %u unpinned tasks ran on CPU mask %#llx of "
		    "%#llx\n",
		    spawned, (unsigned long long)atomic_load(&free_cpus),
		    (unsigned long long)smp_cpu_online_mask());
	ASSERT_EQ(spawned, FREE_ROUNDS * FREE_TASKS);
	ASSERT_EQ(codes_ok, spawned);
	ASSERT_EQ(atomic_load(&free_done), spawned);
	ASSERT_EQ(atomic_load(&free_cpus) & ~smp_cpu_online_mask(), 0);
}

/* ---------------------------------------------------------------------
 * User mode: preempted at the tick, stopped by the CPU-time limit
 * --------------------------------------------------------------------- */

#define LIMIT_MS 200

struct spinner {
	struct task task;
	/* The 32-bit counter its program increments. */
	uint64_t counter_va;
	enum user_return_reason why;
	uint64_t user_ms;
	atomic_bool done;
	bool activated;
};

static struct vm_space *space;
static struct spinner spinners[2];

/* Runs the counter program in the shared space until the kernel stops it. */
static void spinner_fn(void *arg)
{
	struct spinner *s = arg;
	struct user_context ctx;

	/* The space goes with this task, on whichever CPU it runs. */
	s->activated = vm_space_activate(space) == OSTD_OK;
	if (s->activated) {
		task_set_cpu_limit(task_current(), LIMIT_MS);
		user_context_init(&ctx, KT_CODE_VA, KT_STACK_TOP);
		user_context_set_arg(&ctx, 0, s->counter_va);
		s->why = user_mode_execute(&ctx);
		s->user_ms = task_user_ms(task_current());
	}
	atomic_store(&s->done, true);
}

struct counts {
	uint32_t c[2];
	ostd_err_t err;
	/* Wait for both to pass these. */
	uint32_t above[2];
};

static void read_counts(struct counts *k)
{
	for (int i = 0; i < 2; i++) {
		ostd_err_t err =
			kt_user_load32(space, spinners[i].counter_va, &k->c[i]);

		if (err != OSTD_OK) {
			k->err = err;
		}
	}
}

static bool both_above(void *arg)
{
	struct counts *k = arg;

	read_counts(k);
	return k->err != OSTD_OK ||
	       (k->c[0] > k->above[0] && k->c[1] > k->above[1]);
}

static bool both_done(void *arg)
{
	(void)arg;
	return atomic_load(&spinners[0].done) && atomic_load(&spinners[1].done);
}

static bool any_done(void)
{
	return atomic_load(&spinners[0].done) || atomic_load(&spinners[1].done);
}

/*
 * Two tasks pinned to the same CPU each run a user program that never
 * makes a system call. Only the tick can take the CPU from one to give
 * it to the other, so both counters advancing while neither has ended
 * shows the preemption; then each is stopped by its CPU-time limit with
 * USER_RETURN_KERNEL_EVENT, having used at least that much user time.
 */
TEST(smp, user_mode_is_preempted_and_stopped_by_the_cpu_limit)
{
	const struct pt_prop rw = { .flags = PROT_R | PROT_W,
				    .cache = PT_CACHE_WRITEBACK };
	unsigned int cpu = smp_cpu_count() - 1;
	struct counts first = { .err = OSTD_OK };
	struct counts second = { .err = OSTD_OK };
	struct counts last = { .err = OSTD_OK };
	unsigned int spawned = 0;

	ASSERT_EQ(kt_space_new(&space), OSTD_OK);
	ASSERT_EQ(kt_map_code(space, kt_counter_code()), OSTD_OK);
	for (int i = 0; i < 2; i++) {
		uint64_t page = KT_DATA_VA + (uint64_t)i * PAGE_SIZE;

		ASSERT_EQ(kt_map_user_page(space, page, rw, 0, NULL), OSTD_OK);
		spinners[i] = (struct spinner){
			.counter_va = page + KT_WRITE_OFF,
			.why = 0,
		};
	}
	for (int i = 0; i < 2; i++) {
		if (task_spawn_on(&spinners[i].task, "spinner", spinner_fn,
				  &spinners[i], cpu) != OSTD_OK) {
			break;
		}
		spawned++;
	}
	/* Both counters moved off zero, then both moved again. */
	bool moved = spawned == 2 && kt_wait_until(both_above, &first, WAIT_MS);
	bool running_at_first = !any_done();

	second.above[0] = first.c[0];
	second.above[1] = first.c[1];
	bool moved_again = moved && kt_wait_until(both_above, &second, WAIT_MS);
	bool running_at_second = !any_done();

	/*
	 * The limit ends them; if it never does, the joins below hang and
	 * the runner's timeout reports it (a program that never stops
	 * cannot be stopped from here any other way).
	 */
	bool ended = spawned == 2 && kt_wait_until(both_done, NULL, WAIT_MS);

	for (unsigned int i = 0; i < spawned; i++) {
		int code = -1;

		(void)task_join(&spinners[i].task, &code);
	}
	read_counts(&last);
	kt_space_destroy(space);

	ostd_printf("smp_test: user counters on CPU %u: %u/%u, then %u/%u, "
		    "finally %u/%u; user time %llu/%llu ms\n",
		    cpu, first.c[0], first.c[1], second.c[0], second.c[1],
		    last.c[0], last.c[1],
		    (unsigned long long)spinners[0].user_ms,
		    (unsigned long long)spinners[1].user_ms);
	ASSERT_EQ(spawned, 2);
	ASSERT_EQ(first.err, OSTD_OK);
	ASSERT_EQ(second.err, OSTD_OK);
	ASSERT_EQ(last.err, OSTD_OK);
	ASSERT_TRUE(moved);
	ASSERT_TRUE(running_at_first);
	ASSERT_TRUE(moved_again);
	ASSERT_TRUE(running_at_second);
	ASSERT_TRUE(ended);
	for (int i = 0; i < 2; i++) {
		ASSERT_TRUE(spinners[i].activated);
		ASSERT_EQ(spinners[i].why, USER_RETURN_KERNEL_EVENT);
		ASSERT_GE(spinners[i].user_ms, LIMIT_MS);
		ASSERT_GE(last.c[i], second.c[i]);
	}
}

#endif /* CONFIG_ARCH_USER_MODE */

/*
 * VmSpace lifetime across CPUs: a space that a task on another CPU has
 * active is refused by vm_space_destroy() (OSTD_EBUSY, nothing changed);
 * once that task exits, the space is destroyed even though its CPU may
 * still hold the root lazily (destroy makes it drop the root first), and
 * every frame comes back (the runner counts them).
 */
struct holder {
	struct task task;
	struct vm_space *vs;
	ostd_err_t activated;
	atomic_bool ready;
	atomic_bool release;
	unsigned int cpu;
};

static struct holder holder;

static void holder_fn(void *arg)
{
	struct holder *h = arg;

	h->activated = vm_space_activate(h->vs);
	h->cpu = smp_cpu_id();
	atomic_store(&h->ready, true);
	while (!atomic_load(&h->release)) {
		task_yield();
	}
}

static bool holder_ready(void *arg)
{
	return atomic_load(&((struct holder *)arg)->ready);
}

TEST(smp, a_space_active_on_another_cpu_is_not_destroyed_under_it)
{
	unsigned int cpu = smp_cpu_count() - 1;
	int code = -1;

	holder = (struct holder){ .activated = OSTD_EINVAL };
	ASSERT_EQ(kt_space_new(&holder.vs), OSTD_OK);
	ASSERT_EQ(
		task_spawn_on(&holder.task, "holder", holder_fn, &holder, cpu),
		OSTD_OK);
	bool ready = kt_wait_until(holder_ready, &holder, WAIT_MS);
	/* Refused while the holder has it active, from whichever CPU. */
	ostd_err_t busy = vm_space_destroy(holder.vs);

	atomic_store(&holder.release, true);
	ASSERT_EQ(task_join(&holder.task, &code), OSTD_OK);
	ASSERT_TRUE(ready);
	ASSERT_EQ(holder.activated, OSTD_OK);
	ASSERT_EQ(holder.cpu, cpu);
	ASSERT_EQ(busy, OSTD_EBUSY);
	/* The holder is gone; its CPU may still hold the root lazily. */
	ASSERT_EQ(vm_space_destroy(holder.vs), OSTD_OK);
	ASSERT_EQ(vm_space_activate(holder.vs), OSTD_EBADSTATE);
	ASSERT_EQ(vm_space_destroy(holder.vs), OSTD_EBADSTATE);
}

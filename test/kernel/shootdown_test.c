// SPDX-License-Identifier: MPL-2.0
/*
 * TLB shootdown on real (emulated) CPUs: once vm_space_cursor_unmap() has
 * returned, no CPU may reach the old frame through the old mapping, so
 * the frame can be reused at once.
 *
 * Kernel images only. What is tested is the hardware's TLB: on the host
 * the software MMU's TLB is checked by the host suite, and only a real
 * MMU (here QEMU's: TCG keeps a software TLB per vCPU and drops entries
 * only when the guest flushes, DESIGN.md §13) keeps using a translation
 * nobody invalidated. A missing remote flush therefore shows up as the
 * other CPU reading the reused frame through its stale entry.
 *
 * The set-up: a watcher task, pinned to CPU A, runs a user program that
 * reads one word of the watched page in a tight loop (so the translation
 * sits in A's TLB and is used on every iteration) and publishes what it
 * read, the OR of everything it ever read and an iteration count in a
 * second, result page. The unmapper task, pinned to CPU B, waits until
 * the watcher is well under way, unmaps the watched page, notes the
 * iteration count, and writes a new pattern into the frame through the
 * frame API (it holds its own reference, so the frame is not freed but
 * reused in place: the worst case for a stale entry). Then it waits until
 * the watcher faulted or ran MANY_ITERATIONS more iterations.
 *
 * With the flush done, the watcher's next load after unmap returned
 * faults, so the count moves by at most one (the iteration the flush
 * interrupted) and the new pattern is never seen. Without it (the
 * CONFIG_TEST_PLANT_SKIP_REMOTE_FLUSH plant), A keeps reading through its
 * stale entry: the count runs on, the new pattern appears in what it saw,
 * and the test fails. Both outcomes follow from the order of events, not
 * from timing.
 *
 * With one CPU both tasks share it (the watcher preempted by the tick)
 * and only the local flush is exercised; the log says so.
 */

#include <stdatomic.h>

#include "ostd/assert.h"
#include "ostd/config.h"
#include "ostd/frame.h"
#include "ostd/printf.h"
#include "ostd/smp.h"
#include "ostd/task.h"
#include "ostd/test.h"

#include "ktest_util.h"

#if CONFIG_ARCH_USER_MODE

/* The pattern the watched page holds while mapped, and the new one. */
#define OLD_PATTERN 0x5a5a5a5aU
#define NEW_PATTERN 0xa5a5a5a5U

#define WATCH_VA KT_DATA_VA
#define RESULT_VA (KT_DATA_VA + PAGE_SIZE)

/* Iterations the watcher runs before the unmap: its TLB has the page. */
#define WARM_ITERATIONS 10000U
/* Iterations after the unmap that prove a stale translation was used. */
#define MANY_ITERATIONS 100000U
/* A backstop for a watcher nothing else stops (a broken flush). */
#define WATCHER_LIMIT_MS 3000
#define WAIT_MS 5000

STATIC_ASSERT((OLD_PATTERN & NEW_PATTERN) == 0,
	      "The patterns share no bit, so the OR of all values the "
	      "watcher read shows whether it ever read the new one.");

struct watcher {
	struct task task;
	bool activated;
	enum user_return_reason why;
	struct cpu_exception exc;
	uint64_t pc;
	atomic_bool done;
};

struct unmapper {
	struct task task;
	bool activated;
	ostd_err_t err;
	/* The watcher reached WARM_ITERATIONS before the unmap. */
	bool warm;
	/* Iteration counts: when unmap returned, and at the end. */
	uint32_t iter_at_unmap;
	uint32_t iter_at_end;
	/* The watcher had faulted when the wait ended. */
	bool watcher_faulted;
	bool waited_out;
	/*
	 * What the watcher published, read here: this CPU did the unmap and
	 * so flushed its own TLB; a reader elsewhere could be misled by a
	 * stale entry of its own under the plant.
	 */
	uint32_t seen;
	uint32_t last;
};

static struct vm_space *space;
static struct watcher watcher;
static struct unmapper unmapper;
static struct frame watched;

static void watcher_fn(void *arg)
{
	struct watcher *w = arg;
	struct user_context ctx;

	w->activated = vm_space_activate(space) == OSTD_OK;
	if (w->activated) {
		task_set_cpu_limit(task_current(), WATCHER_LIMIT_MS);
		user_context_init(&ctx, KT_CODE_VA, KT_STACK_TOP);
		user_context_set_arg(&ctx, 0, WATCH_VA);
		user_context_set_arg(&ctx, 1, RESULT_VA);
		w->why = user_mode_execute(&ctx);
		w->exc = *user_context_exception(&ctx);
		w->pc = user_context_pc(&ctx);
	}
	atomic_store(&w->done, true);
}

struct progress {
	uint32_t target;
	uint32_t iter;
	ostd_err_t err;
};

static bool watcher_reached(void *arg)
{
	struct progress *p = arg;

	p->err = kt_user_load32(space, RESULT_VA + KT_WATCH_ITER_OFF, &p->iter);
	return p->err != OSTD_OK || atomic_load(&watcher.done) ||
	       p->iter >= p->target;
}

static ostd_err_t write_watched(uint32_t val)
{
	struct vm_writer w = frame_writer(watched);

	return vm_writer_write_val(&w, &val, sizeof(val));
}

/*
 * Maps the result page zeroed. kt_map_user_page()'s test pattern starts
 * with arch_ret_insn, which read as an iteration count is far past
 * WARM_ITERATIONS: the unmapper would find a watcher that had not yet
 * started "warm", unmap at once, and read the pattern back as what the
 * watcher saw.
 */
static ostd_err_t map_result_page(void)
{
	const uint32_t zero[4] = { 0 };
	struct frame f;
	ostd_err_t err = frame_alloc(&frame_type_untyped, &f);

	if (err != OSTD_OK) {
		return err;
	}
	struct vm_writer w = frame_writer(f);

	err = vm_writer_write_val(&w, zero, sizeof(zero));
	if (err == OSTD_OK) {
		err = kt_map_frame(
			space, RESULT_VA, f.pa,
			(struct pt_prop){ .flags = PROT_R | PROT_W,
					  .cache = PT_CACHE_WRITEBACK });
	}
	/* The mapping holds its own reference. */
	frame_drop(&f);
	return err;
}

static void unmapper_fn(void *arg)
{
	struct unmapper *u = arg;
	struct progress p = { .target = WARM_ITERATIONS, .err = OSTD_OK };

	/* For the user reader over the result page. */
	u->activated = vm_space_activate(space) == OSTD_OK;
	if (!u->activated) {
		return;
	}
	u->warm = kt_wait_until(watcher_reached, &p, WAIT_MS) &&
		  p.err == OSTD_OK && p.iter >= WARM_ITERATIONS;
	if (!u->warm) {
		u->err = p.err;
		return;
	}
	/* Returns after every CPU with the space active flushed. */
	u->err = kt_unmap_user(space, WATCH_VA, PAGE_SIZE);
	if (u->err != OSTD_OK) {
		return;
	}
	u->err = kt_user_load32(space, RESULT_VA + KT_WATCH_ITER_OFF,
				&u->iter_at_unmap);
	/* Reuse: the frame the old translation points at gets new data. */
	if (u->err == OSTD_OK) {
		u->err = write_watched(NEW_PATTERN);
	}
	if (u->err != OSTD_OK) {
		return;
	}
	p = (struct progress){ .target = u->iter_at_unmap + MANY_ITERATIONS,
			       .err = OSTD_OK };
	u->waited_out = kt_wait_until(watcher_reached, &p, WAIT_MS);
	u->err = p.err;
	u->watcher_faulted = atomic_load(&watcher.done);
	u->iter_at_end = p.iter;
	if (u->err == OSTD_OK) {
		u->err = kt_user_load32(space, RESULT_VA + KT_WATCH_SEEN_OFF,
					&u->seen);
	}
	if (u->err == OSTD_OK) {
		u->err = kt_user_load32(space, RESULT_VA + KT_WATCH_LAST_OFF,
					&u->last);
	}
}

static bool watcher_done(void *arg)
{
	(void)arg;
	return atomic_load(&watcher.done);
}

TEST(shootdown, unmap_returns_only_after_every_cpu_dropped_the_page)
{
	unsigned int n = smp_cpu_count();
	unsigned int cpu_a = n > 1 ? 1 : 0;
	unsigned int cpu_b = 0;
	int code = -1;

	watcher = (struct watcher){ .why = 0 };
	unmapper = (struct unmapper){ .err = OSTD_OK };
	ASSERT_EQ(kt_space_new(&space), OSTD_OK);
	ASSERT_EQ(kt_map_code(space, kt_watch_code()), OSTD_OK);
	ASSERT_EQ(map_result_page(), OSTD_OK);
	ASSERT_EQ(frame_alloc(&frame_type_untyped, &watched), OSTD_OK);
	ASSERT_EQ(write_watched(OLD_PATTERN), OSTD_OK);
	ASSERT_EQ(kt_map_frame(space, WATCH_VA, watched.pa,
			       (struct pt_prop){ .flags = PROT_R,
						 .cache = PT_CACHE_WRITEBACK }),
		  OSTD_OK);

	bool spawned_a = task_spawn_on(&watcher.task, "watcher", watcher_fn,
				       &watcher, cpu_a) == OSTD_OK;
	bool spawned_b = spawned_a &&
			 task_spawn_on(&unmapper.task, "unmapper", unmapper_fn,
				       &unmapper, cpu_b) == OSTD_OK;

	if (spawned_b) {
		(void)task_join(&unmapper.task, &code);
	}
	/*
	 * A watcher still running read through a stale entry (or never got
	 * going): make its CPU-time limit run out now instead of waiting for
	 * the backstop. The limit is read at its next tick.
	 */
	if (spawned_a && !kt_wait_until(watcher_done, NULL, 100)) {
		task_set_cpu_limit(&watcher.task, 1);
	}
	if (spawned_a) {
		(void)task_join(&watcher.task, &code);
	}
	kt_space_destroy(space);
	/* After the space: no table can point at the frame any more. */
	frame_drop(&watched);

	ostd_printf("shootdown: watcher on CPU %u, unmapper on CPU %u: "
		    "%u iterations at unmap, %u at the end; it read %#x "
		    "last, %#x in all; %s at %#llx\n",
		    cpu_a, cpu_b, unmapper.iter_at_unmap, unmapper.iter_at_end,
		    unmapper.last, unmapper.seen,
		    watcher.why == USER_RETURN_EXCEPTION ? watcher.exc.name
		    : watcher.why == USER_RETURN_KERNEL_EVENT
			    ? "stopped by its CPU-time limit"
			    : "other return",
		    (unsigned long long)watcher.exc.addr);
	if (n == 1) {
		ostd_printf("shootdown: 1 CPU: both tasks shared CPU 0 and "
			    "only the local flush was exercised; the "
			    "cross-CPU shootdown needs >= 2 CPUs\n");
	}
	ASSERT_TRUE(spawned_b);
	ASSERT_TRUE(watcher.activated);
	ASSERT_TRUE(unmapper.activated);
	ASSERT_TRUE(unmapper.warm);
	ASSERT_EQ(unmapper.err, OSTD_OK);
	/* The watcher never saw the reused frame through the old mapping. */
	ASSERT_EQ(unmapper.seen, OLD_PATTERN);
	/*
	 * It faulted on its first load after unmap returned: at most the
	 * iteration the flush interrupted was finished, never many.
	 */
	ASSERT_TRUE(unmapper.watcher_faulted);
	ASSERT_LE(unmapper.iter_at_end, unmapper.iter_at_unmap + 1);
	ASSERT_EQ(watcher.why, USER_RETURN_EXCEPTION);
	ASSERT_EQ(watcher.exc.kind, CPU_EXC_PAGE_FAULT);
	ASSERT_EQ(watcher.exc.addr, WATCH_VA);
	ASSERT_EQ(watcher.exc.access, PROT_R);
}

#endif /* CONFIG_ARCH_USER_MODE */

// SPDX-License-Identifier: MPL-2.0
/*
 * Concurrency stress of the page-table core, C3 and C3b of TESTING.md
 * "Concurrency stress (C)": unmap vs access through the simulated CPUs'
 * TLBs (S2, I7) and hardware walks (accessed-bit updates) vs unmap.
 * HOST-ONLY; pt_concurrency_test.c describes the whole suite.
 */

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ostd/arch/mm.h"

#include "ostd/assert.h"
#include "ostd/frame.h"
#include "ostd/host/sim.h"
#include "ostd/internal/page_table.h"
#include "ostd/page_table.h"
#include "ostd/test.h"

#include "../lib/pt_test_util.h"
#include "pt_conc_util.h"
#include "tlb_invariant.h"

/* ---------------------------------------------------------------------
 * C3: unmap vs access (S2; the CVE-2018-18281 class). The table is active
 * on simulated CPUs 1-4; readers (CPUs 2-4) keep reading the A slots
 * through their TLBs while the writer (CPU 1) maps a frame marked 0x11
 * there, lets every reader cache it, unmaps it and, while that flush is
 * still pending, allocates and poisons a frame (the unmapped one must not
 * come back yet: the flusher holds it); after dropping the cursor it
 * allocates again (now the unmapped frame does come back), poisons it and
 * maps it at a B slot, which nobody reads. A reader of an A slot must
 * fault or see 0x11, never the poison nor a zeroed frame. I7 is checked
 * with the readers paused, both while the flush is pending (stale entries
 * allowed, their frame held) and after it (no stale entry at all).
 * --------------------------------------------------------------------- */

#define C3_READERS 3
#define C3_WRITER_CPU 1
#define C3_ROUNDS 400
#define C3_SLOTS 8
#define C3_A_BASE (3ULL << 30) /* Read by the readers, 0x11 frames only. */
#define C3_B_BASE (C3_A_BASE + (64ULL << 20)) /* Never read: poison. */
#define C3_MARK 0x11
#define C3_POISON 0xAA
/* Every 8th round unmaps the whole 2 MiB around the slots (node freed). */
#define C3_WHOLE_EVERY 8
/* Every 4th round checks I7 with the readers paused. */
#define C3_CHECK_EVERY 4
/* Bounded waits for the readers (yields, not time). */
#define C3_WAIT_SPINS 20000
#define C3_AFTER_SPINS 4
#define C3_READ_LEN 64

struct c3_ctx {
	struct page_table *pt;
	atomic_bool stop;
	atomic_bool pause;
	atomic_uint paused;
	_Atomic uint64_t hits[C3_READERS];
	_Atomic uint64_t faults[C3_READERS];
	uint64_t reuses;       /* The unmapped frame handed out again. */
	uint64_t early_reuses; /* ... while its flush was pending: a bug. */
	uint64_t stale_seen;   /* Stale entries seen with a flush pending. */
	uint64_t checks;
};

static void c3_reader(struct conc_thread *t)
{
	struct c3_ctx *ctx = t->ctx;
	struct sim_cpu *cpu = sim_cpu(t->cpu);
	unsigned int r = t->index - 1;
	uint8_t buf[C3_READ_LEN];

	while (!atomic_load(&ctx->stop) && !failed()) {
		if (atomic_load(&ctx->pause)) {
			doing(t, "paused", 0);
			atomic_fetch_add(&ctx->paused, 1);
			while (atomic_load(&ctx->pause)) {
				sched_yield();
			}
			atomic_fetch_sub(&ctx->paused, 1);
			continue;
		}
		for (unsigned int s = 0; s < C3_SLOTS; s++) {
			uint64_t va =
				C3_A_BASE + s * PAGE_SIZE +
				rng_below(&t->rng, PAGE_SIZE / C3_READ_LEN) *
					C3_READ_LEN;

			doing(t, "sim_cpu_read", va);
			memset(buf, 0, sizeof(buf));
			enum sim_fault f =
				sim_cpu_read(cpu, va, buf, sizeof(buf));

			if (f == SIM_FAULT_NOT_PRESENT) {
				atomic_fetch_add(&ctx->faults[r], 1);
				continue;
			}
			if (f != SIM_OK) {
				host_conc_fail(t, "read at 0x%llx: %s fault",
					       (unsigned long long)va,
					       sim_fault_name(f));
				return;
			}
			atomic_fetch_add(&ctx->hits[r], 1);
			for (unsigned int b = 0; b < sizeof(buf); b++) {
				if (buf[b] != C3_MARK) {
					host_conc_fail(
						t,
						"read at 0x%llx saw 0x%02x "
						"(%s), not the mark 0x%x: "
						"a stale translation",
						(unsigned long long)va + b,
						buf[b],
						buf[b] == C3_POISON
							? "the poison"
							: "a freed frame",
						C3_MARK);
					return;
				}
			}
		}
		atomic_fetch_add(&t->ops, 1);
		perturb(t);
	}
}

static bool c3_map_one(struct conc_thread *t, struct page_table *pt,
		       uint64_t va, struct frame *f)
{
	struct pt_cursor c;

	if (!open_mut(t, pt, va, PAGE_SIZE, &c)) {
		return false;
	}
	doing(t, "map", va);
	ostd_err_t err = pt_cursor_map(&c, pt_item_frame(f->pa), prop_of(true));

	close_cursor(t, &c);
	if (err != OSTD_OK) {
		host_conc_fail(t, "map at 0x%llx = %d", (unsigned long long)va,
			       (int)err);
		return false;
	}
	frame_drop(f); /* The mapping holds the only reference now. */
	return true;
}

/* Opens a cursor over [va, va + len) and unmaps the one page in it. */
static bool c3_unmap_begin(struct conc_thread *t, struct page_table *pt,
			   uint64_t va, uint64_t len, struct pt_cursor *c)
{
	uint64_t count = 0;

	if (!open_mut(t, pt, va, len, c)) {
		return false;
	}
	doing(t, "unmap", va);
	ostd_err_t err = pt_cursor_unmap(c, len, &count);

	if (err != OSTD_OK || count != 1) {
		close_cursor(t, c);
		host_conc_fail(t, "unmap(0x%llx, +0x%llx) = %d, %llu leaves",
			       (unsigned long long)va, (unsigned long long)len,
			       (int)err, (unsigned long long)count);
		return false;
	}
	return true;
}

static bool c3_unmap(struct conc_thread *t, struct page_table *pt, uint64_t va,
		     uint64_t len)
{
	struct pt_cursor c;

	if (!c3_unmap_begin(t, pt, va, len, &c)) {
		return false;
	}
	close_cursor(t, &c);
	return true;
}

/* Waits, bounded, until every reader read successfully again. */
static void c3_wait_hits(struct c3_ctx *ctx, const uint64_t *before)
{
	for (unsigned int spin = 0; spin < C3_WAIT_SPINS && !failed(); spin++) {
		bool all = true;

		for (unsigned int r = 0; r < C3_READERS; r++) {
			all &= atomic_load(&ctx->hits[r]) > before[r];
		}
		if (all) {
			return;
		}
		sched_yield();
	}
}

static void c3_yield(unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		sched_yield();
	}
}

/* Stops the readers (they only ever touch their own TLB). */
static bool c3_pause(struct conc_thread *t, struct c3_ctx *ctx)
{
	doing(t, "pausing readers", 0);
	atomic_store(&ctx->pause, true);
	while (atomic_load(&ctx->paused) != C3_READERS) {
		if (failed()) {
			atomic_store(&ctx->pause, false);
			return false;
		}
		sched_yield();
	}
	return true;
}

/*
 * I7 with the readers paused. @p pending: a mutable cursor still holds
 * an unmap whose flush is not done, so stale entries are allowed as long
 * as their frame is held; otherwise there must be none, and none may
 * reach @p freed.
 */
static void c3_checkpoint(struct conc_thread *t, struct c3_ctx *ctx,
			  bool pending, paddr_t freed)
{
	if (!c3_pause(t, ctx)) {
		return;
	}
	for (unsigned int r = 0; r < C3_READERS; r++) {
		const struct sim_cpu *cpu = sim_cpu(C3_WRITER_CPU + 1 + r);
		unsigned int stale = tlb_stale_count(cpu, ctx->pt);
		bool to_freed =
			!pending && sim_tlb_caches_pa(cpu, freed, PAGE_SIZE);

		ctx->stale_seen += stale;
		if (!tlb_consistent(cpu, ctx->pt) || (!pending && stale != 0) ||
		    to_freed) {
			host_conc_fail(t,
				       "I7 on cpu %u (%s flush): %u stale "
				       "entries%s",
				       cpu->id,
				       pending ? "pending" : "after the", stale,
				       to_freed ? ", one to the freed frame"
						: "");
		}
	}
	ctx->checks++;
	atomic_store(&ctx->pause, false);
}

/*
 * One round: map a marked frame at an A slot; let the readers cache it;
 * unmap it, and while the flush is still pending allocate and poison a
 * frame (which must not be the unmapped one, the flusher holds it); drop
 * the cursor (flush, then free); allocate again (now the unmapped frame
 * is handed out), poison it and map it at a B slot.
 */
static void c3_round(struct conc_thread *t, struct c3_ctx *ctx,
		     unsigned int round)
{
	struct page_table *pt = ctx->pt;
	unsigned int s = round % C3_SLOTS;
	uint64_t va_a = C3_A_BASE + s * PAGE_SIZE;
	uint64_t va_b = C3_B_BASE + s * PAGE_SIZE;
	bool whole = round % C3_WHOLE_EVERY == C3_WHOLE_EVERY - 1;
	bool check = round % C3_CHECK_EVERY == 0;
	uint64_t before[C3_READERS];
	struct pt_cursor c;
	struct frame f;
	struct frame g;
	struct frame h;

	if (!alloc_frame(t, &f)) {
		return;
	}
	paddr_t old = f.pa;

	memset(sim_phys_ptr(f.pa, PAGE_SIZE), C3_MARK, PAGE_SIZE);
	for (unsigned int r = 0; r < C3_READERS; r++) {
		before[r] = atomic_load(&ctx->hits[r]);
	}
	if (!c3_map_one(t, pt, va_a, &f)) {
		return;
	}
	doing(t, "waiting for readers", va_a);
	c3_wait_hits(ctx, before);
	if (!c3_unmap_begin(t, pt, whole ? C3_A_BASE : va_a,
			    whole ? SIZE_2M : PAGE_SIZE, &c)) {
		return;
	}
	/* The flush is pending: readers may still hit, the frame is held. */
	if (check) {
		c3_checkpoint(t, ctx, true, old);
	}
	if (!alloc_frame(t, &h)) {
		close_cursor(t, &c);
		return;
	}
	ctx->early_reuses += pa_addr(h.pa) == pa_addr(old);
	memset(sim_phys_ptr(h.pa, PAGE_SIZE), C3_POISON, PAGE_SIZE);
	c3_yield(C3_AFTER_SPINS);
	frame_drop(&h);
	/* Flush every active CPU, then free the frame (last, so that the
	 * allocator hands it out next). */
	close_cursor(t, &c);
	if (!alloc_frame(t, &g)) {
		return;
	}
	ctx->reuses += pa_addr(g.pa) == pa_addr(old);
	memset(sim_phys_ptr(g.pa, PAGE_SIZE), C3_POISON, PAGE_SIZE);
	if (!c3_map_one(t, pt, va_b, &g)) {
		return;
	}
	c3_yield(C3_AFTER_SPINS);
	if (check) {
		c3_checkpoint(t, ctx, false, old);
	}
	(void)c3_unmap(t, pt, va_b, PAGE_SIZE);
}

static void c3_rounds(struct conc_thread *t)
{
	struct c3_ctx *ctx = t->ctx;

	for (unsigned int round = 0; round < C3_ROUNDS && !failed(); round++) {
		atomic_store(&t->ops, round);
		c3_round(t, ctx, round);
	}
}

static void c3_writer(struct conc_thread *t)
{
	struct c3_ctx *ctx = t->ctx;

	c3_rounds(t);
	/* The readers stop when the writer is done, or failed. */
	atomic_store(&ctx->stop, true);
}

static void c3_activate(const struct pt_config *cfg, struct page_table *pt,
			unsigned int cpu)
{
	struct sim_cpu *c = sim_cpu(cpu);

	sim_tlb_flush_all(c, true);
	/* User accesses; NXE so that x86's XD bit is not reserved. */
	c->mode = (struct sim_mode){ .user = true, .wp = true, .nxe = true };
	sim_cpu_set_root(c, sim_mmu_for(cfg), pt->root, 1);
	cpu_set_add(&pt->active_cpus, cpu);
}

static void c3_deactivate(struct page_table *pt, unsigned int cpu)
{
	struct sim_cpu *c = sim_cpu(cpu);

	cpu_set_remove(&pt->active_cpus, cpu);
	sim_tlb_flush_all(c, true);
	c->mode = (struct sim_mode){ .user = false };
	sim_cpu_set_root(c, NULL, pa_init(0), 0);
}

TEST_CONC(c3_unmap_vs_access)
{
	static struct c3_ctx ctx;
	struct page_table pt;
	uint64_t hits = 0;
	uint64_t faults = 0;
	bool i7 = true;

	ASSERT_TRUE(cfg != NULL);
	ASSERT_TRUE(sim_mmu_for(cfg) != NULL);
	host_conc_begin("c3_unmap_vs_access", cfg);
	ASSERT_EQ(page_table_new_user(cfg, NULL, &pt), OSTD_OK);
	memset(&ctx, 0, sizeof(ctx));
	ctx.pt = &pt;
	for (unsigned int cpu = C3_WRITER_CPU;
	     cpu <= C3_WRITER_CPU + C3_READERS; cpu++) {
		c3_activate(cfg, &pt, cpu);
	}
	/* The writer first: the readers are threads 1.. */
	(void)conc_add("writer", C3_WRITER_CPU, c3_writer, &ctx);
	for (unsigned int r = 0; r < C3_READERS; r++) {
		(void)conc_add("reader", C3_WRITER_CPU + 1 + r, c3_reader,
			       &ctx);
	}
	host_conc_run();
	for (unsigned int r = 0; r < C3_READERS; r++) {
		hits += atomic_load(&ctx.hits[r]);
		faults += atomic_load(&ctx.faults[r]);
	}
	for (unsigned int cpu = C3_WRITER_CPU;
	     cpu <= C3_WRITER_CPU + C3_READERS; cpu++) {
		i7 &= tlb_consistent(sim_cpu(cpu), &pt);
		i7 &= tlb_stale_count(sim_cpu(cpu), &pt) == 0;
	}
	printf("  %s: %u rounds, %llu hits, %llu faults, %llu frames reused, "
	       "%llu I7 checkpoints, %llu stale entries under a pending "
	       "flush\n",
	       run_name, C3_ROUNDS, (unsigned long long)hits,
	       (unsigned long long)faults, (unsigned long long)ctx.reuses,
	       (unsigned long long)ctx.checks,
	       (unsigned long long)ctx.stale_seen);
	ostd_err_t check = pt_check(&pt, NULL);

	for (unsigned int cpu = C3_WRITER_CPU;
	     cpu <= C3_WRITER_CPU + C3_READERS; cpu++) {
		c3_deactivate(&pt, cpu);
	}
	page_table_destroy(&pt);
	pt_rcu_barrier();
	ASSERT_STREQ(fail_first, "");
	ASSERT_TRUE(i7);
	ASSERT_EQ(check, OSTD_OK);
	/* The scenario happened: cached reads, faults after unmaps, and the
	 * allocator handed the unmapped frame out again. */
	ASSERT_GT(hits, 0);
	ASSERT_GT(faults, 0);
	ASSERT_GT(ctx.reuses, 0);
	/* S2: a frame is not handed out while a flush of it is pending. */
	ASSERT_EQ(ctx.early_reuses, 0);
}

/* ---------------------------------------------------------------------
 * C3b: hardware walks vs unmap. A real MMU sets accessed (and dirty)
 * bits in the entries it walks, atomically but without any lock of the
 * kernel's, while a cursor clears those very entries. The readers here
 * flush their own TLB before every access, so that every access walks,
 * while the writer maps and unmaps one page (every other time the whole
 * 2 MiB around it, which clears a level-2 entry). After each unmap is
 * synced, every entry on the way must be either a table or zero: an
 * "absent" entry with bits left in it (a walker's accessed bit set after
 * the clear) is what the next cursor then trips over.
 * --------------------------------------------------------------------- */

#define C3B_READERS 2
#define C3B_WRITER_CPU 5
#define C3B_ROUNDS 40000
#define C3B_VA (3ULL << 30)

struct c3b_ctx {
	struct page_table *pt;
	atomic_bool stop;
	_Atomic uint64_t walks;
};

static void c3b_reader(struct conc_thread *t)
{
	struct c3b_ctx *ctx = t->ctx;
	struct sim_cpu *cpu = sim_cpu(t->cpu);
	uint8_t buf[8];

	while (!atomic_load(&ctx->stop) && !failed()) {
		doing(t, "walk", C3B_VA);
		sim_tlb_flush_all(cpu, true);
		enum sim_fault f = sim_cpu_read(cpu, C3B_VA, buf, sizeof(buf));

		if (f == SIM_OK) {
			atomic_fetch_add(&ctx->walks, 1);
			for (unsigned int b = 0; b < sizeof(buf); b++) {
				if (buf[b] != C3_MARK) {
					host_conc_fail(
						t, "read saw 0x%02x, not 0x%x",
						buf[b], C3_MARK);
					return;
				}
			}
		} else if (f != SIM_FAULT_NOT_PRESENT) {
			host_conc_fail(t, "read: %s fault", sim_fault_name(f));
			return;
		}
		/*
		 * The simulated CPU's lock is a plain spinlock: a walker
		 * that retakes it at once could starve the writer's remote
		 * flush (an IPI cannot be starved on hardware).
		 */
		if (atomic_fetch_add(&t->ops, 1) % 64 == 0) {
			sched_yield();
		}
	}
}

/* Every entry on the way to @p va is a table or zero (nothing mapped). */
static bool c3b_path_clean(struct conc_thread *t, struct page_table *pt,
			   uint64_t va)
{
	const struct pt_config *cfg = pt->cfg;
	paddr_t node = pt->root;

	for (pt_level_t level = cfg->nr_levels; level >= 1; level--) {
		const pte_t *e = sim_phys_ptr(node, PAGE_SIZE);
		unsigned int idx = pt_index(cfg, va, level);
		pte_t pte = __atomic_load_n(&e[idx], __ATOMIC_ACQUIRE);
		enum pt_entry_type type = cfg->classify(cfg, pte, level);

		if (type == PT_ENTRY_TABLE) {
			node = cfg->paddr(cfg, pte, level);
			continue;
		}
		if (type == PT_ENTRY_LEAF || pte != 0) {
			host_conc_fail(
				t,
				"after unmap of 0x%llx the level-%u entry "
				"%u is 0x%llx (%s): a cleared entry must "
				"stay 0; a walker's accessed-bit update "
				"landed after the clear",
				(unsigned long long)va, level, idx,
				(unsigned long long)pte,
				type == PT_ENTRY_LEAF ? "a leaf"
						      : "absent, not zero");
			return false;
		}
		return true;
	}
	return true;
}

static void c3b_writer(struct conc_thread *t)
{
	struct c3b_ctx *ctx = t->ctx;
	struct page_table *pt = ctx->pt;

	for (unsigned int i = 0; i < C3B_ROUNDS && !failed(); i++) {
		bool whole = i % 2 == 1;
		struct pt_cursor c;
		struct frame f;
		uint64_t count = 0;

		atomic_store(&t->ops, i);
		if (!alloc_frame(t, &f)) {
			break;
		}
		memset(sim_phys_ptr(f.pa, PAGE_SIZE), C3_MARK, PAGE_SIZE);
		if (!c3_map_one(t, pt, C3B_VA, &f)) {
			break;
		}
		perturb(t);
		if (!open_mut(t, pt, C3B_VA, whole ? SIZE_2M : PAGE_SIZE, &c)) {
			break;
		}
		doing(t, "unmap", C3B_VA);
		ostd_err_t err = pt_cursor_unmap(
			&c, whole ? SIZE_2M : PAGE_SIZE, &count);

		close_cursor(t, &c);
		if (err != OSTD_OK || count != 1) {
			host_conc_fail(t, "unmap = %d, %llu leaves", (int)err,
				       (unsigned long long)count);
			break;
		}
		/* Synced: the readers' walks through it are over. */
		if (!c3b_path_clean(t, pt, C3B_VA)) {
			break;
		}
	}
	atomic_store(&ctx->stop, true);
}

TEST_CONC(c3b_walker_vs_unmap)
{
	static struct c3b_ctx ctx;
	struct page_table pt;

	ASSERT_TRUE(cfg != NULL);
	ASSERT_TRUE(sim_mmu_for(cfg) != NULL);
	host_conc_begin("c3b_walker_vs_unmap", cfg);
	ASSERT_EQ(page_table_new_user(cfg, NULL, &pt), OSTD_OK);
	memset(&ctx, 0, sizeof(ctx));
	ctx.pt = &pt;
	for (unsigned int cpu = C3B_WRITER_CPU;
	     cpu <= C3B_WRITER_CPU + C3B_READERS; cpu++) {
		c3_activate(cfg, &pt, cpu);
	}
	(void)conc_add("writer", C3B_WRITER_CPU, c3b_writer, &ctx);
	for (unsigned int r = 0; r < C3B_READERS; r++) {
		(void)conc_add("walker", C3B_WRITER_CPU + 1 + r, c3b_reader,
			       &ctx);
	}
	host_conc_run();
	printf("  %s: %u rounds, %llu successful walks\n", run_name, C3B_ROUNDS,
	       (unsigned long long)atomic_load(&ctx.walks));
	for (unsigned int cpu = C3B_WRITER_CPU;
	     cpu <= C3B_WRITER_CPU + C3B_READERS; cpu++) {
		c3_deactivate(&pt, cpu);
	}
	ostd_err_t check = pt_check(&pt, NULL);

	page_table_destroy(&pt);
	pt_rcu_barrier();
	ASSERT_STREQ(fail_first, "");
	ASSERT_EQ(check, OSTD_OK);
	ASSERT_GT(atomic_load(&ctx.walks), 0);
}

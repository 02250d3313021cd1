// SPDX-License-Identifier: MPL-2.0
/*
 * The ASID allocator (ostd/internal/asid.h): generations and a bitmap, the
 * scheme of Linux arm64 (arch/arm64/mm/context.c) and riscv, with one lock
 * around every switch instead of Linux's lock-free fast path.
 *
 * - A space's id is (generation, asid). A switch to it checks the
 *   generation: the current one means the ASID is still the space's.
 * - An old generation means a new ASID: the space's old number if some
 *   CPU kept it across the rollover (it was running the space then: the
 *   CPU keeps using that ASID, so the number stays the space's) or if it
 *   is still free; else the next free number of the bitmap.
 * - No free number: roll over. The generation moves on, the bitmap is
 *   cleared but for the ASID each CPU runs with now (kept: "reserved"),
 *   and every CPU owes a flush of every ASID's non-global entries before
 *   it next switches: so a number handed out in the new generation never
 *   meets an entry its old owner left in any TLB.
 *
 * Stale entries of a space that is not loaded (the classic miss: a
 * shootdown that reaches only the CPUs where the space is active leaves
 * entries tagged with its ASID on CPUs that switched away) are handled
 * lazily, not by broadcast: each space tracks the CPUs that loaded it
 * under its current id (`cpus`); a flush of the space marks them all
 * `stale` (asid_mark_stale(), before the flusher reads the active set),
 * and a CPU drops the space's ASID when it next loads it with a stale
 * mark. A CPU that does not run the space cannot use entries tagged with
 * its ASID, so nothing needs to interrupt it; a CPU that does run it is
 * in the active set and flushed by the flusher as before. The two sides
 * are a store-buffering pair of sequentially consistent operations (the
 * flusher: mark stale, then read active; the loader: join active, then
 * take its stale mark), so at least one of them sees the other.
 */

#include "ostd/internal/asid.h"

#include "ostd/assert.h"
#include "ostd/internal/cpu_local.h"
#include "ostd/sync.h"

#include "vm_space_internal.h"

#define MAP_WORDS ((1U << ASID_MAX_BITS) / 64U)
#define ASID_MASK ((1ULL << ASID_GEN_SHIFT) - 1U)

static struct spinlock asid_lock = SPINLOCK_INIT;
static _Atomic unsigned int width;
/* The current generation (never 0: id 0 means "none yet"). */
static uint64_t generation = 1;
/* Bit a: ASID a is taken in this generation. Bit 0 is the kernel's. */
static uint64_t map[MAP_WORDS];
/* Where the search for a free number starts: ASIDs go out in order. */
static uint32_t next_free = 1;

static bool map_test_and_set(uint32_t a)
{
	uint64_t bit = 1ULL << (a % 64U);
	bool was = (map[a / 64U] & bit) != 0;

	map[a / 64U] |= bit;
	return was;
}

static void map_clear(void)
{
	for (unsigned int i = 0; i < MAP_WORDS; i++) {
		map[i] = 0;
	}
	map[0] = 1; /* ASID 0: the kernel table's, never a space's. */
	next_free = 1;
}

/* The first free number from next_free on, 0 if none. */
static uint32_t map_find_free(void)
{
	uint32_t limit = 1U
			 << atomic_load_explicit(&width, memory_order_relaxed);

	for (uint32_t a = next_free; a < limit; a++) {
		if ((map[a / 64U] & (1ULL << (a % 64U))) == 0) {
			return a;
		}
	}
	return 0;
}

/* Generation g + 1: keep what every CPU runs, owe every CPU a flush. */
static void rollover(void)
{
	generation++;
	map_clear();
	for (unsigned int cpu = 0; cpu < OSTD_MAX_CPUS; cpu++) {
		struct cpu_local *cl = cpu_local_of(cpu);

		cl->asid_reserved = cl->asid_active;
		if (cl->asid_active != 0) {
			(void)map_test_and_set(
				(uint32_t)(cl->asid_active & ASID_MASK));
		}
		cl->asid_flush_pending = true;
	}
}

/* A current-generation id for the space whose id was @p old. Lock held. */
static uint64_t new_id(uint64_t old)
{
	uint64_t gen = generation << ASID_GEN_SHIFT;

	if (old != 0) {
		uint32_t a = (uint32_t)(old & ASID_MASK);
		bool kept = false;

		for (unsigned int cpu = 0; cpu < OSTD_MAX_CPUS; cpu++) {
			struct cpu_local *cl = cpu_local_of(cpu);

			if (cl->asid_reserved == old) {
				cl->asid_reserved = gen | a;
				kept = true;
			}
		}
		if (kept || !map_test_and_set(a)) {
			return gen | a;
		}
	}
	uint32_t a = map_find_free();

	if (a == 0) {
		rollover();
		gen = generation << ASID_GEN_SHIFT;
		a = map_find_free();
		/* At most OSTD_MAX_CPUS numbers are kept: far below 2^bits-1. */
		CHECK(a != 0);
	}
	(void)map_test_and_set(a);
	next_free = a + 1;
	return gen | a;
}

void asid_init(unsigned int bits)
{
	spin_lock(&asid_lock);
	atomic_store_explicit(&width,
			      bits > ASID_MAX_BITS ? ASID_MAX_BITS : bits,
			      memory_order_relaxed);
	/* Every id handed out so far is of an old generation from now. */
	generation++;
	map_clear();
	for (unsigned int cpu = 0; cpu < OSTD_MAX_CPUS; cpu++) {
		struct cpu_local *cl = cpu_local_of(cpu);

		cl->asid_active = 0;
		cl->asid_reserved = 0;
		cl->asid_flush_pending = true;
	}
	spin_unlock(&asid_lock);
}

unsigned int asid_bits(void)
{
	return atomic_load_explicit(&width, memory_order_relaxed);
}

void asid_ctx_init(struct asid_ctx *ctx)
{
	atomic_store(&ctx->id, 0);
	atomic_store(&ctx->cpus, 0);
	atomic_store(&ctx->stale, 0);
}

uint16_t asid_switch(struct asid_ctx *ctx, unsigned int cpu,
		     enum asid_flush *flush)
{
	struct cpu_local *cl = cpu_local_of(cpu);
	uint64_t bit = 1ULL << cpu;
	enum asid_flush f = ASID_FLUSH_NONE;

	CHECK(cpu < OSTD_MAX_CPUS && asid_bits() != 0);
	spin_lock(&asid_lock);
	uint64_t id = atomic_load_explicit(&ctx->id, memory_order_relaxed);

	if (id >> ASID_GEN_SHIFT != generation) {
		id = new_id(id);
		/*
		 * The old id's entries are gone from every CPU that switches
		 * before it could use this one (its pending flush), and the
		 * CPUs that still run the space are in its active set.
		 */
		atomic_store(&ctx->cpus, 0);
		atomic_store(&ctx->stale, 0);
		atomic_store_explicit(&ctx->id, id, memory_order_relaxed);
	}
	if (cl->asid_flush_pending) {
		cl->asid_flush_pending = false;
		f = ASID_FLUSH_ALL;
	}
	cl->asid_active = id;
	spin_unlock(&asid_lock);
	/* Before the root is loaded: from here this CPU may cache entries. */
	atomic_fetch_or(&ctx->cpus, bit);
	if ((atomic_fetch_and(&ctx->stale, ~bit) & bit) != 0 &&
	    f == ASID_FLUSH_NONE) {
		f = ASID_FLUSH_ONE;
	}
	*flush = f;
	return (uint16_t)(id & ASID_MASK);
}

void asid_mark_stale(struct asid_ctx *ctx, uint64_t skip)
{
	uint64_t cpus = atomic_load(&ctx->cpus) & ~skip;

	if (cpus != 0) {
		atomic_fetch_or(&ctx->stale, cpus);
	}
}

struct asid_ctx *asid_ctx_of_table(const struct page_table *pt)
{
	struct vm_space *vs = asid_bits() != 0 ? vm_space_of_table(pt) : NULL;

	return vs == NULL ? NULL : &vs->asid;
}

uint16_t asid_of_table(const struct page_table *pt)
{
	struct asid_ctx *ctx = asid_ctx_of_table(pt);

	return ctx == NULL
		       ? 0
		       : (uint16_t)(atomic_load_explicit(&ctx->id,
							 memory_order_relaxed) &
				    ASID_MASK);
}

uint64_t asid_test_generation(void)
{
	spin_lock(&asid_lock);
	uint64_t g = generation;

	spin_unlock(&asid_lock);
	return g;
}

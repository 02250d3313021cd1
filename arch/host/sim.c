// SPDX-License-Identifier: MPL-2.0
/*
 * The host machine: one arena of simulated physical memory, simulated CPUs
 * with a software TLB each, and the glue that lets core/ reach physical
 * memory (arch_paddr_to_ptr). The per-format MMU walkers are in
 * sim_mmu_*.c; this file only caches and flushes what they return.
 *
 * The TLB is deliberately unforgiving: it keeps a translation until a flush
 * removes it, whatever happens to the page table meanwhile, and it picks
 * victims pseudo-randomly, so that tests cannot rely on an entry being
 * evicted in time.
 */

#include "ostd/host/sim.h"

#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ostd/arch/cpu.h"
#include "ostd/arch/mm.h"
#include "ostd/arch/smp.h"
#include "ostd/arch/tlb.h"

#include "ostd/assert.h"
#include "ostd/page_table.h"
#include "ostd/panic.h"
#include "ostd/plat.h"

static uint8_t *arena;
static uint64_t arena_size;
static struct sim_cpu cpus[SIM_MAX_CPUS];
static _Thread_local unsigned int current_cpu;

void sim_init(uint64_t phys_bytes)
{
	void *p = mmap(NULL, phys_bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	CHECK(p != MAP_FAILED);
	arena = p;
	arena_size = phys_bytes;
	for (unsigned int i = 0; i < SIM_MAX_CPUS; i++) {
		cpus[i] = (struct sim_cpu){
			.id = i, .rng = 0x9e3779b97f4a7c15ULL * (i + 1)
		};
	}
}

static bool range_within_phys(uint64_t pa, uint64_t len)
{
	return pa <= arena_size && len <= arena_size - pa;
}

uint64_t sim_phys_size(void)
{
	return arena_size;
}

void *sim_phys_ptr(paddr_t pa, uint64_t len)
{
	if (!range_within_phys(pa_addr(pa), len)) {
		return NULL;
	}
	return arena + pa_addr(pa);
}

void *arch_paddr_to_ptr(paddr_t pa)
{
	CHECK(pa_addr(pa) < arena_size);
	return arena + pa_addr(pa);
}

paddr_t arch_ptr_to_paddr(const void *ptr)
{
	const uint8_t *p = ptr;

	CHECK(p >= arena && (uint64_t)(p - arena) < arena_size);
	return pa_init((uint64_t)(p - arena));
}

const char *sim_fault_name(enum sim_fault f)
{
	switch (f) {
	case SIM_OK:
		return "ok";
	case SIM_FAULT_NON_CANONICAL:
		return "non-canonical";
	case SIM_FAULT_NOT_PRESENT:
		return "not present";
	case SIM_FAULT_PERMISSION:
		return "permission";
	case SIM_FAULT_RESERVED:
		return "reserved bit";
	case SIM_FAULT_ACCESS_FLAG:
		return "access flag";
	case SIM_FAULT_BUS:
		return "bus error";
	}
	return "?";
}

/* ---------------------------------------------------------------------
 * CPUs.
 * --------------------------------------------------------------------- */

struct sim_cpu *sim_cpu(unsigned int id)
{
	CHECK(id < SIM_MAX_CPUS);
	return &cpus[id];
}

struct sim_cpu *sim_cpu_current(void)
{
	return &cpus[current_cpu];
}

void sim_cpu_set_current(unsigned int id)
{
	CHECK(id < SIM_MAX_CPUS);
	current_cpu = id;
}

void sim_cpu_set_root(struct sim_cpu *cpu, const struct sim_mmu_hw *hw,
		      paddr_t root, uint16_t asid)
{
	cpu->hw = hw;
	cpu->root = root;
	cpu->asid = asid;
}

/* ---------------------------------------------------------------------
 * The TLB.
 * --------------------------------------------------------------------- */

static bool entry_covers(const struct sim_tlb_entry *e, uint64_t va)
{
	return e->valid && va - e->t.page_va < e->t.page_size;
}

static struct sim_tlb_entry *tlb_lookup(struct sim_cpu *cpu, uint64_t va)
{
	for (unsigned int i = 0; i < SIM_TLB_ENTRIES; i++) {
		struct sim_tlb_entry *e = &cpu->tlb[i];

		if (entry_covers(e, va) &&
		    (e->t.global || e->asid == cpu->asid) &&
		    e->user_mode == cpu->mode.user) {
			return e;
		}
	}
	return NULL;
}

static uint64_t next_rng(struct sim_cpu *cpu)
{
	/* xorshift64: deterministic per CPU, so failures replay. */
	cpu->rng ^= cpu->rng << 13;
	cpu->rng ^= cpu->rng >> 7;
	cpu->rng ^= cpu->rng << 17;
	return cpu->rng;
}

static void tlb_insert(struct sim_cpu *cpu, const struct sim_translation *t)
{
	struct sim_tlb_entry *slot = NULL;

	for (unsigned int i = 0; i < SIM_TLB_ENTRIES && slot == NULL; i++) {
		if (!cpu->tlb[i].valid) {
			slot = &cpu->tlb[i];
		}
	}
	if (slot == NULL) {
		slot = &cpu->tlb[next_rng(cpu) % SIM_TLB_ENTRIES];
	}
	*slot = (struct sim_tlb_entry){ .valid = true,
					.asid = cpu->asid,
					.user_mode = cpu->mode.user,
					.root = cpu->root,
					.t = *t };
}

static void finish(const struct sim_translation *t, uint64_t va,
		   struct sim_translation *out)
{
	if (out != NULL) {
		*out = *t;
		out->pa = pa_init(pa_addr(t->page_pa) + (va - t->page_va));
	}
}

static enum sim_fault translate_locked(struct sim_cpu *cpu, uint64_t va,
				       enum sim_access kind,
				       struct sim_translation *out);

enum sim_fault sim_cpu_translate(struct sim_cpu *cpu, uint64_t va,
				 enum sim_access kind,
				 struct sim_translation *out)
{
	spin_lock(&cpu->lock);
	enum sim_fault f = translate_locked(cpu, va, kind, out);

	spin_unlock(&cpu->lock);
	return f;
}

static enum sim_fault translate_locked(struct sim_cpu *cpu, uint64_t va,
				       enum sim_access kind,
				       struct sim_translation *out)
{
	CHECK(cpu->hw != NULL);
	struct sim_tlb_entry *e = tlb_lookup(cpu, va);

	/*
	 * A hit is checked against the cached rights, never the table. A
	 * write through a clean cached entry walks again, as x86 does to set
	 * the dirty bit (Intel SDM vol 3A, 4.8).
	 */
	if (e != NULL && !(kind == SIM_WRITE && !e->t.dirty)) {
		cpu->tlb_hits++;
		enum sim_fault f = cpu->hw->check(&e->t, kind, &cpu->mode);

		if (f == SIM_OK) {
			finish(&e->t, va, out);
		}
		return f;
	}
	cpu->tlb_misses++;
	struct sim_translation t;
	enum sim_fault f =
		cpu->hw->walk(cpu->hw, cpu->root, va, kind, &cpu->mode, &t);

	if (f != SIM_OK) {
		return f;
	}
	if (e != NULL) {
		e->valid = false;
	}
	tlb_insert(cpu, &t);
	finish(&t, va, out);
	return SIM_OK;
}

/* The copy of one access, under the CPU's lock. */
static enum sim_fault copy_locked(struct sim_cpu *cpu, uint64_t va, void *buf,
				  uint64_t len, bool write)
{
	struct sim_translation t;
	enum sim_fault f =
		translate_locked(cpu, va, write ? SIM_WRITE : SIM_READ, &t);

	if (f != SIM_OK) {
		return f;
	}
	/* One page at most: the caller splits at page boundaries. */
	CHECK(len - 1 <= t.page_size - 1 - (va - t.page_va));
	uint8_t *p = sim_phys_ptr(t.pa, len);

	if (p == NULL) {
		return SIM_FAULT_BUS;
	}
	if (write) {
		memcpy(p, buf, len);
	} else {
		memcpy(buf, p, len);
	}
	return SIM_OK;
}

/*
 * An access is one instruction: its translation and its copy happen under
 * the CPU's lock, so a flush from another CPU (an IPI, which hardware takes
 * at an instruction boundary) lands before or after the whole access. With
 * the lock dropped in between, a shootdown, free and reuse of the frame
 * could slip between translating and copying (pt_concurrency C3).
 */
static enum sim_fault access_bytes(struct sim_cpu *cpu, uint64_t va, void *buf,
				   uint64_t len, bool write)
{
	if (len == 0) {
		return SIM_OK;
	}
	spin_lock(&cpu->lock);
	enum sim_fault f = copy_locked(cpu, va, buf, len, write);

	spin_unlock(&cpu->lock);
	return f;
}

enum sim_fault sim_cpu_read(struct sim_cpu *cpu, uint64_t va, void *buf,
			    uint64_t len)
{
	return access_bytes(cpu, va, buf, len, false);
}

enum sim_fault sim_cpu_write(struct sim_cpu *cpu, uint64_t va, const void *buf,
			     uint64_t len)
{
	return access_bytes(cpu, va, (void *)(uintptr_t)buf, len, true);
}

static _Atomic uint64_t bbm_violations;

static _Atomic uint64_t bbm_expected;

uint64_t sim_bbm_violations(void)
{
	return atomic_load(&bbm_violations);
}

void sim_bbm_expect(uint64_t n)
{
	atomic_fetch_add(&bbm_expected, n);
}

uint64_t sim_bbm_unexpected(void)
{
	return atomic_load(&bbm_violations) - atomic_load(&bbm_expected);
}

/*
 * The break-before-make check of @p e as a flush removes it from @p cpu
 * (sim.h): its walk, descriptor by descriptor from the root, against
 * memory now. The first descriptor that is invalid ends the check (the
 * break happened there: nothing below it is reachable, and it may be
 * freed); the first changed one that needs break-before-make is a
 * violation; a table descriptor whose change needs none (APTable and the
 * like) leads to the same table, so the walk goes on.
 */
static void bbm_check(const struct sim_cpu *cpu, const struct sim_tlb_entry *e)
{
	const struct sim_mmu_hw *hw = cpu->hw;

	if (hw == NULL || hw->needs_bbm == NULL ||
	    pa_addr(e->root) != pa_addr(cpu->root)) {
		return;
	}
	for (unsigned int i = 0; i < e->t.path_len; i++) {
		const uint64_t *p = sim_phys_ptr(e->t.path_pa[i], 8);
		unsigned int level = hw->levels - i;

		if (p == NULL) {
			return;
		}
		uint64_t now = __atomic_load_n(p, __ATOMIC_ACQUIRE);
		uint64_t old = e->t.path_desc[i];

		if (now == old) {
			continue;
		}
		if (!hw->desc_valid(now)) {
			return;
		}
		if (hw->needs_bbm(hw, old, now, level)) {
			atomic_fetch_add(&bbm_violations, 1);
			printf("break-before-make violated: CPU %u cached va "
			       "0x%llx (size 0x%llx) through the descriptor at "
			       "pa 0x%llx (level %u), 0x%016llx, which is now "
			       "0x%016llx with no invalid descriptor and TLB "
			       "invalidation in between\n",
			       cpu->id, (unsigned long long)e->t.page_va,
			       (unsigned long long)e->t.page_size,
			       (unsigned long long)pa_addr(e->t.path_pa[i]),
			       level, (unsigned long long)old,
			       (unsigned long long)now);
		}
		return;
	}
}

/* Removes entry @p i of @p cpu's TLB, as an invalidation does. */
static void tlb_invalidate(struct sim_cpu *cpu, unsigned int i)
{
	bbm_check(cpu, &cpu->tlb[i]);
	cpu->tlb[i].valid = false;
}

void sim_tlb_flush_page(struct sim_cpu *cpu, uint64_t va)
{
	spin_lock(&cpu->lock);
	cpu->flushes++;
	for (unsigned int i = 0; i < SIM_TLB_ENTRIES; i++) {
		/* invlpg drops global entries too (SDM vol 3A, 4.10.4.1). */
		if (entry_covers(&cpu->tlb[i], va)) {
			tlb_invalidate(cpu, i);
		}
	}
	spin_unlock(&cpu->lock);
}

void sim_tlb_flush_all(struct sim_cpu *cpu, bool include_global)
{
	spin_lock(&cpu->lock);
	cpu->flushes++;
	for (unsigned int i = 0; i < SIM_TLB_ENTRIES; i++) {
		if (cpu->tlb[i].valid &&
		    (include_global || !cpu->tlb[i].t.global)) {
			tlb_invalidate(cpu, i);
		}
	}
	spin_unlock(&cpu->lock);
}

void sim_tlb_flush_asid(struct sim_cpu *cpu, uint16_t asid)
{
	spin_lock(&cpu->lock);
	cpu->flushes++;
	for (unsigned int i = 0; i < SIM_TLB_ENTRIES; i++) {
		if (cpu->tlb[i].valid && !cpu->tlb[i].t.global &&
		    cpu->tlb[i].asid == asid) {
			tlb_invalidate(cpu, i);
		}
	}
	spin_unlock(&cpu->lock);
}

bool sim_tlb_caches_pa(const struct sim_cpu *cpu, paddr_t pa, uint64_t len)
{
	for (unsigned int i = 0; i < SIM_TLB_ENTRIES; i++) {
		const struct sim_tlb_entry *e = &cpu->tlb[i];
		uint64_t lo = pa_addr(e->t.page_pa);

		if (e->valid && lo < pa_addr(pa) + len &&
		    pa_addr(pa) < lo + e->t.page_size) {
			return true;
		}
	}
	return false;
}

const struct sim_mmu_hw *sim_mmu_for(const struct pt_config *cfg)
{
	static const struct {
		const char *prefix;
		const struct sim_mmu_hw *hw;
	} table[] = {
		{ "x86_64", &sim_mmu_x86_64 },
		{ "sv48", &sim_mmu_sv48 },
		{ "sv39", &sim_mmu_sv39 },
		{ "aarch64", &sim_mmu_aarch64 },
		{ "hostile", &sim_mmu_hostile },
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		size_t n = strlen(table[i].prefix);

		if (strncmp(cfg->name, table[i].prefix, n) == 0) {
			return table[i].hw;
		}
	}
	return NULL;
}

/* ---------------------------------------------------------------------
 * The core's CPU and TLB hooks, on simulated CPUs.
 * --------------------------------------------------------------------- */

/* A simulated CPU's per-CPU area is the core's, by index. */
struct cpu_local *arch_cpu_local(void)
{
	return &cpu_locals[current_cpu];
}

void arch_cpu_local_install(struct cpu_local *cl)
{
	CHECK(cl == &cpu_locals[current_cpu]);
}

/*
 * The simulated CPUs are threads the tests drive (sim_cpu_set_current()):
 * all of them are online from boot, each with its own area.
 */
unsigned int arch_smp_enumerate(uint64_t *hw_ids, unsigned int max,
				unsigned int *boot)
{
	CHECK(max >= SIM_MAX_CPUS);
	for (unsigned int i = 0; i < SIM_MAX_CPUS; i++) {
		hw_ids[i] = i;
	}
	*boot = 0;
	return SIM_MAX_CPUS;
}

ostd_err_t arch_cpu_start(struct cpu_local *cl, uintptr_t stack_top)
{
	(void)stack_top;
	smp_cpu_online(cl);
	return OSTD_OK;
}

/*
 * A simulated IPI: the target's handler runs at once, on the sender's
 * thread but as the target CPU, so its calls see the target's area.
 */
void plat_send_ipi(const struct cpu_local *target)
{
	unsigned int self = current_cpu;

	current_cpu = target->id;
	smp_ipi_handle();
	current_cpu = self;
}

void plat_cpu_init_secondary(void)
{
}

/*
 * The simulated CPUs are threads on the host's real CPUs, so the barrier
 * RCU's expedited path needs on them is the kernel's: membarrier(2) makes
 * every running thread of this process execute a full barrier (the
 * private expedited command, registered once), which is what an IPI whose
 * handler fences is on a kernel port. The global command (every thread
 * passes a context switch) is the slower fallback where the private one is
 * refused (valgrind, old kernels).
 */
static int membarrier_cmd;

static void membarrier_setup(void)
{
	if (syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED,
		    0, 0) == 0) {
		membarrier_cmd = MEMBARRIER_CMD_PRIVATE_EXPEDITED;
	} else {
		membarrier_cmd = MEMBARRIER_CMD_GLOBAL;
	}
}

void arch_cpu_barrier_remote(uint64_t targets)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	if (targets == 0) {
		return;
	}
	CHECK(pthread_once(&once, membarrier_setup) == 0);
	if (syscall(SYS_membarrier, membarrier_cmd, 0, 0) != 0) {
		panic("membarrier(%d) failed: RCU cannot order the simulated "
		      "CPUs (a Linux host >= 4.16 is needed)",
		      membarrier_cmd);
	}
}

static void flush_one(struct sim_cpu *cpu, struct tlb_op op)
{
	switch (op.kind) {
	case TLB_OP_PAGE:
		sim_tlb_flush_page(cpu, op.va);
		break;
	case TLB_OP_RANGE:
		for (uint64_t off = 0; off < op.len; off += PAGE_SIZE) {
			sim_tlb_flush_page(cpu, op.va + off);
		}
		break;
	case TLB_OP_ALL:
		/* Exactly the promise: the global entries stay. */
		sim_tlb_flush_all(cpu, false);
		break;
	case TLB_OP_ALL_GLOBAL:
		sim_tlb_flush_all(cpu, true);
		break;
	}
}

void arch_tlb_flush_local(const struct page_table *pt, struct tlb_op op)
{
	(void)pt;
	flush_one(sim_cpu_current(), op);
}

void arch_tlb_flush_remote(uint64_t targets, const struct page_table *pt,
			   const struct tlb_op *ops, unsigned int count)
{
	(void)pt;
	/* A simulated IPI: delivered and acknowledged before returning. */
	for (uint64_t left = targets; left != 0; left &= left - 1) {
		unsigned int cpu = (unsigned int)__builtin_ctzll(left);

		for (unsigned int i = 0; i < count; i++) {
			flush_one(sim_cpu(cpu), ops[i]);
		}
	}
}

void arch_cpu_relax(void)
{
	/* Threads may outnumber cores: let a descheduled holder run. */
	sched_yield();
}

/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/*
 * The per-CPU area (DESIGN.md §9): one struct cpu_local per CPU, reached
 * through a register the arch reserves for it (x86_64 GS base, RISC-V tp
 * with sscratch on user entry, AArch64 TPIDR_EL1), installed once per CPU
 * by arch_cpu_local_install() (ostd/arch/smp.h).
 *
 * Framework-internal: the core's per-CPU state lives here and nowhere
 * else, so that nothing indexes a global array by a CPU number that can
 * change under it.
 */

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "ostd/compiler.h"
#include "ostd/page_table.h"
#include "ostd/sync.h"

struct task;
struct pt_node_meta;

/* One cross-CPU call slot per sender, in the target's area. */
struct smp_call_slot {
	void (*fn)(void *arg);
	void *arg;
	/* Set by the sender when it posts, cleared by the target when done. */
	atomic_bool busy;
};

/* Frames one CPU's cache holds at most. */
#define FRAME_CACHE_CAP 64

/*
 * One CPU's cache of free order-0 frames in front of the frame allocator
 * (core/mm/frame.c). Its lock is taken by this CPU, by host threads that
 * run as this CPU, and by frame_cache_drain() on any CPU; it nests outside
 * the allocator's lock.
 */
struct frame_cache {
	struct spinlock lock;
	unsigned int count;
	/*
	 * Frames allocated here less frames freed here, modulo 2^64, and
	 * allocation attempts made here: summed over every CPU when read.
	 * Written under the lock by a plain load and store (no shared
	 * read-modify-write on the allocation path); atomic only so that
	 * readers on other CPUs may load them without the lock.
	 */
	_Atomic uint64_t in_use;
	_Atomic uint64_t attempts;
	/* count entries, the most recently freed last. */
	uint64_t pfn[FRAME_CACHE_CAP];
};

/*
 * The guard the last cursor on this CPU locked after a walk from the root
 * (core/mm/cursor_lock.c): a hint that lets the next cursor whose guard is
 * in the same slot of the same table lock it without the walk. Read and
 * written only by its CPU, with preemption off.
 */
struct pt_guard_hint {
	const struct page_table *pt;
	paddr_t node;
	/* Its metadata: the node stays allocated while the hint is trusted. */
	struct pt_node_meta *meta;
	/* An address the node covers (the walk's). */
	uint64_t va;
	/* pt_guard_epoch when the walk that found the node began. */
	uint64_t epoch;
	/* The node's level; 0: no hint. */
	pt_level_t level;
};

struct cpu_local {
	/*
	 * Offsets 0 .. 63 belong to the arch's entry code (kernel stack on
	 * user entry, the user context, scratch), at offsets it documents in
	 * its own assembly; the core never touches them.
	 */
	uint64_t arch[8];
	/* Offset 64: the area's own address, for a GS- or tp-relative load. */
	struct cpu_local *self;
	/* The dense index (0 = boot CPU) and the hardware's id for it. */
	unsigned int id;
	uint64_t hw_id;
	atomic_bool online;
	/* Scheduling (core/task.c). */
	struct task *current;
	struct task *idle;
	/* The task switched away from, finished by the next one's side. */
	struct task *prev;
	/*
	 * > 0: this CPU must not switch tasks (a cursor, an RCU read side).
	 * Written only by its own CPU (preempt_disable()); read by others
	 * only after arch_cpu_barrier_remote() (core/mm/pt_node.c).
	 */
	_Atomic unsigned int preempt_count;
	/*
	 * RCU: the generation this CPU saw when it last passed a quiescent
	 * state (no read side open), published with release order; and
	 * whether it sits in the idle loop, an extended quiescent state.
	 */
	_Atomic uint64_t rcu_qs_gen;
	atomic_bool rcu_idle;
	atomic_bool need_resched;
	unsigned int slice_left;
	/* The running task is in user mode (set around arch_user_enter()). */
	bool in_user;
	/* The table whose root this CPU's MMU holds (core/mm/vm_space.c). */
	struct page_table *current_pt;
	/* Calls from other CPUs: bit s set = slot s is posted. */
	_Atomic uint64_t call_pending;
	struct smp_call_slot calls[OSTD_MAX_CPUS];
	/* Statistics, for tests and the banner. */
	_Atomic uint64_t ipis_received;
	_Atomic uint64_t ticks;
	/* Free order-0 frames and frame counters (core/mm/frame.c). */
	struct frame_cache frame_cache;

	/*
	 * Address-space identifiers (core/mm/asid.c), under its lock: the id
	 * this CPU runs with; the one it kept across the last rollover; it
	 * must drop every ASID's entries before it uses a new-generation one.
	 * asid_hw_on: the arch switched its ASID hardware on here (x86
	 * CR4.PCIDE, set by the CPU itself on its first ASID switch).
	 */
	uint64_t asid_active;
	uint64_t asid_reserved;
	bool asid_flush_pending;
	bool asid_hw_on;

	/* The last guard a walk from the root locked (cursor_lock.c). */
	struct pt_guard_hint guard_hint;
} __attribute__((aligned(64)));

/* The arch's assembly relies on these. */
#define CPU_LOCAL_ARCH_OFFSET 0
#define CPU_LOCAL_SELF_OFFSET 64

extern struct cpu_local cpu_locals[OSTD_MAX_CPUS];

/** This CPU's area (the arch register). */
struct cpu_local *cpu_local(void);

/* Panics: preempt_enable() without preempt_disable(). */
NORETURN void preempt_underflow(void);

/*
 * Preemption off: the running task stays on this CPU and is not switched
 * out until the matching preempt_enable(). Kernel mode is never preempted
 * by the tick (only user mode is, core/user.c), so this is what a
 * blocking call inside a cursor or an RCU read side trips over
 * (schedule_locked() checks it), and what the RCU grace period reads.
 * No atomic read-modify-write and no fence: only this CPU writes it.
 */
static inline void preempt_disable_on(struct cpu_local *cl)
{
	unsigned int n =
		atomic_load_explicit(&cl->preempt_count, memory_order_relaxed);

	atomic_store_explicit(&cl->preempt_count, n + 1, memory_order_relaxed);
	/* The section's accesses stay after the count, in program order. */
	atomic_signal_fence(memory_order_seq_cst);
}

/* Returns the count left. */
static inline unsigned int preempt_enable_on(struct cpu_local *cl)
{
	atomic_signal_fence(memory_order_seq_cst);
	unsigned int n =
		atomic_load_explicit(&cl->preempt_count, memory_order_relaxed);

	if (n == 0) {
		preempt_underflow();
	}
	/*
	 * Relaxed: the expedited grace period orders the section before a
	 * poller's read of the count with the barrier it forces on this CPU
	 * (pt_node.c). Under TSan, which cannot see that barrier, a release
	 * (paired with the poller's acquire) stands in for it.
	 */
	atomic_store_explicit(&cl->preempt_count, n - 1,
			      OSTD_TSAN ? memory_order_release
					: memory_order_relaxed);
	return n - 1;
}

/** CPU @p cpu's area. */
static inline struct cpu_local *cpu_local_of(unsigned int cpu)
{
	return &cpu_locals[cpu];
}

/** Called by the IPI handler of every port: runs the posted calls. */
void smp_ipi_handle(void);

/**
 * Called by ostd_boot() first thing: installs CPU 0's area on the boot
 * CPU, so arch_cpu_id() works from then on.
 */
void smp_init_boot_cpu(void);

/**
 * Called by ostd_boot() once the kernel table, the frame allocator and
 * the boot CPU's timer are up: starts every other CPU the arch finds and
 * prints how many are online.
 */
void smp_start_secondaries(void);

/**
 * Marks @p cl online (smp_secondary_entry(); the host's simulated CPUs,
 * which tests drive as threads, from arch_cpu_start()).
 */
void smp_cpu_online(struct cpu_local *cl);

/**
 * What arch_cpu_barrier_remote() does on a port with real IPIs: a call to
 * each CPU in @p cpus that executes a full fence, waited for.
 */
void smp_barrier_by_ipi(uint64_t cpus);

/*
 * RCU's quiescent states (core/mm/pt_node.c). pt_rcu_note_qs(): this CPU
 * is outside any read side (preempt_count 0): a context switch, the tick,
 * entry to user mode. pt_rcu_idle_enter()/exit(): around the idle wait.
 */
void pt_rcu_note_qs(struct cpu_local *cl);
void pt_rcu_idle_enter(struct cpu_local *cl);
void pt_rcu_idle_exit(struct cpu_local *cl);

/** The flush a remote CPU does for arch_tlb_flush_remote() by IPI. */
void smp_tlb_flush_by_ipi(uint64_t cpus, const struct page_table *pt,
			  const struct tlb_op *ops, unsigned int count);

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

#include "ostd/page_table.h"
#include "ostd/sync.h"

struct task;

/* One cross-CPU call slot per sender, in the target's area. */
struct smp_call_slot {
	void (*fn)(void *arg);
	void *arg;
	/* Set by the sender when it posts, cleared by the target when done. */
	atomic_bool busy;
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
	/* > 0: this CPU must not switch tasks (cursor, RCU read side). */
	unsigned int preempt_count;
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
} __attribute__((aligned(64)));

/* The arch's assembly relies on these. */
#define CPU_LOCAL_ARCH_OFFSET 0
#define CPU_LOCAL_SELF_OFFSET 64

extern struct cpu_local cpu_locals[OSTD_MAX_CPUS];

/** This CPU's area (the arch register). */
struct cpu_local *cpu_local(void);

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

/** The flush a remote CPU does for arch_tlb_flush_remote() by IPI. */
void smp_tlb_flush_by_ipi(uint64_t cpus, const struct page_table *pt,
			  const struct tlb_op *ops, unsigned int count);

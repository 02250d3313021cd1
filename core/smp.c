// SPDX-License-Identifier: MPL-2.0
/*
 * CPUs: the per-CPU areas, bringing up the secondary CPUs, and cross-CPU
 * calls over the platform's IPI.
 *
 * A call posts into a slot the target keeps for each sender, so posting
 * needs no lock: a sender owns its slot in every target until the target
 * clears `busy`. The target learns of posted slots from a bit mask it
 * swaps to zero, so one IPI serves every call that arrived before it.
 */

#include "ostd/arch/smp.h"

#include "ostd/arch/cpu.h"
#include "ostd/arch/mm.h"
#include "ostd/arch/task.h"
#include "ostd/arch/tlb.h"

#include "ostd/assert.h"
#include "ostd/frame.h"
#include "ostd/internal/sched.h"
#include "ostd/panic.h"
#include "ostd/plat.h"
#include "ostd/printf.h"
#include "ostd/smp.h"
#include "ostd/task.h"
#include "ostd/timer.h"
#include "ostd/vm_space.h"

struct cpu_local cpu_locals[OSTD_MAX_CPUS];

static _Atomic uint64_t online_mask = 1;
static atomic_uint online_count = 1;

struct cpu_local *cpu_local(void)
{
	return arch_cpu_local();
}

unsigned int arch_cpu_id(void)
{
	return (unsigned int)(arch_cpu_local() - cpu_locals);
}

unsigned int smp_cpu_id(void)
{
	return arch_cpu_id();
}

unsigned int smp_cpu_count(void)
{
	return atomic_load(&online_count);
}

uint64_t smp_cpu_online_mask(void)
{
	return atomic_load(&online_mask);
}

void smp_init_boot_cpu(void)
{
	struct cpu_local *cl = &cpu_locals[0];

	cl->self = cl;
	cl->id = 0;
	atomic_store(&cl->online, true);
	arch_cpu_local_install(cl);
}

void smp_ipi_handle(void)
{
	struct cpu_local *self = cpu_local();
	uint64_t posted = atomic_exchange_explicit(&self->call_pending, 0,
						   memory_order_acquire);

	for (uint64_t left = posted; left != 0; left &= left - 1) {
		struct smp_call_slot *slot =
			&self->calls[__builtin_ctzll(left)];

		slot->fn(slot->arg);
		/* The sender may reuse the slot (and free arg) from here. */
		atomic_store_explicit(&slot->busy, false, memory_order_release);
	}
}

/*
 * Spins until @p busy clears, answering this CPU's own calls meanwhile:
 * two CPUs that call each other with interrupts masked would otherwise
 * wait for each other forever.
 */
static void wait_slot(const atomic_bool *busy, unsigned int target)
{
	uint64_t start = timer_ticks();
	uint64_t spins = 0;
	/*
	 * Ticks advance only while the boot CPU takes its timer interrupt;
	 * the spin bound catches the case where it is the one waiting with
	 * interrupts masked.
	 */
	const uint64_t max_ticks =
		(uint64_t)OSTD_SMP_CALL_TIMEOUT_MS * OSTD_TICK_HZ / 1000;

	while (atomic_load_explicit(busy, memory_order_acquire)) {
		smp_ipi_handle();
		arch_cpu_relax();
		if (timer_ticks() - start > max_ticks ||
		    ++spins > (1ULL << 34)) {
			panic("smp_call: CPU %u never answered (%llu ticks)",
			      target,
			      (unsigned long long)(timer_ticks() - start));
		}
	}
}

ostd_err_t smp_call(uint64_t cpus, smp_call_fn fn, void *arg, bool wait)
{
	CHECKIF (fn == NULL || (cpus & ~smp_cpu_online_mask()) != 0) {
		return OSTD_EINVAL;
	}
	unsigned long flags = arch_irq_save();
	unsigned int self = arch_cpu_id();
	uint64_t remote = cpus & ~(1ULL << self);

	for (uint64_t left = remote; left != 0; left &= left - 1) {
		unsigned int cpu = (unsigned int)__builtin_ctzll(left);
		struct cpu_local *t = &cpu_locals[cpu];
		struct smp_call_slot *slot = &t->calls[self];

		/* An earlier call without wait may still hold the slot. */
		wait_slot(&slot->busy, cpu);
		slot->fn = fn;
		slot->arg = arg;
		atomic_store_explicit(&slot->busy, true, memory_order_relaxed);
		atomic_fetch_or_explicit(&t->call_pending, 1ULL << self,
					 memory_order_release);
		plat_send_ipi(t);
	}
	if ((cpus & (1ULL << self)) != 0) {
		fn(arg);
	}
	if (wait) {
		for (uint64_t left = remote; left != 0; left &= left - 1) {
			unsigned int cpu = (unsigned int)__builtin_ctzll(left);

			wait_slot(&cpu_locals[cpu].calls[self].busy, cpu);
		}
	}
	arch_irq_restore(flags);
	return OSTD_OK;
}

struct tlb_flush_req {
	const struct page_table *pt;
	const struct tlb_op *ops;
	unsigned int count;
};

static void tlb_flush_here(void *arg)
{
	const struct tlb_flush_req *req = arg;

	for (unsigned int i = 0; i < req->count; i++) {
		arch_tlb_flush_local(req->pt, req->ops[i]);
	}
}

void smp_tlb_flush_by_ipi(uint64_t cpus, const struct page_table *pt,
			  const struct tlb_op *ops, unsigned int count)
{
	struct tlb_flush_req req = { .pt = pt, .ops = ops, .count = count };

	/*
	 * A CPU that is no longer online cannot hold the table; one that
	 * never came up is not in any set.
	 */
	CHECK(smp_call(cpus & smp_cpu_online_mask(), tlb_flush_here, &req,
		       true) == OSTD_OK);
}

static void barrier_here(void *arg)
{
	(void)arg;
	/*
	 * The handler's acquire of the slot and release of `busy` order
	 * only its own accesses; the interrupted code's need a full fence.
	 */
	atomic_thread_fence(memory_order_seq_cst);
}

void smp_barrier_by_ipi(uint64_t cpus)
{
	atomic_thread_fence(memory_order_seq_cst);
	CHECK(smp_call(cpus & smp_cpu_online_mask(), barrier_here, NULL,
		       true) == OSTD_OK);
	atomic_thread_fence(memory_order_seq_cst);
}

void preempt_underflow(void)
{
	panic("preempt_enable() without preempt_disable() on CPU %u",
	      arch_cpu_id());
}

/* ---------------------------------------------------------------------
 * Bringing up the secondary CPUs.
 * --------------------------------------------------------------------- */

/* How long the boot CPU waits for one CPU to come online. */
#define SMP_START_TIMEOUT_MS 3000

void smp_cpu_online(struct cpu_local *cl)
{
	atomic_fetch_or(&online_mask, 1ULL << cl->id);
	atomic_fetch_add(&online_count, 1);
	atomic_store_explicit(&cl->online, true, memory_order_release);
}

void smp_secondary_entry(struct cpu_local *cl)
{
	arch_cpu_local_install(cl);
	arch_kernel_pt_activate(vm_space_kernel_pt());
	plat_cpu_init_secondary();
	task_init_cpu(cl);
	smp_cpu_online(cl);
	task_idle_loop();
}

static bool wait_online(const struct cpu_local *cl)
{
	uint64_t start = timer_ticks();
	uint64_t spins = 0;
	const uint64_t max_ticks =
		(uint64_t)SMP_START_TIMEOUT_MS * OSTD_TICK_HZ / 1000;

	while (!atomic_load_explicit(&cl->online, memory_order_acquire)) {
		arch_cpu_relax();
		if (timer_ticks() - start > max_ticks ||
		    ++spins > (1ULL << 32)) {
			return false;
		}
	}
	return true;
}

void smp_start_secondaries(void)
{
	uint64_t hw_ids[OSTD_MAX_CPUS];
	unsigned int boot = 0;
	unsigned int n = arch_smp_enumerate(hw_ids, OSTD_MAX_CPUS, &boot);

	CHECK(n >= 1 && n <= OSTD_MAX_CPUS && boot < n);
	cpu_locals[0].hw_id = hw_ids[boot];
	unsigned int next = 1;

	for (unsigned int i = 0; i < n; i++) {
		if (i == boot) {
			continue;
		}
		struct cpu_local *cl = &cpu_locals[next];
		struct segment stack;

		*cl = (struct cpu_local){ .self = cl,
					  .id = next,
					  .hw_id = hw_ids[i] };
		if (segment_alloc(TASK_STACK_PAGES, &frame_type_kernel, 0,
				  &stack) != OSTD_OK) {
			ostd_printf("smp: no memory for CPU %llu's stack\n",
				    (unsigned long long)hw_ids[i]);
			break;
		}
		uintptr_t top = (uintptr_t)arch_paddr_to_ptr(stack.pa) +
				TASK_STACK_PAGES * PAGE_SIZE;
		ostd_err_t err = arch_cpu_start(cl, top);

		if (err == OSTD_OK && wait_online(cl)) {
			next++;
			continue;
		}
		/*
		 * The CPU may still come up later and run on this stack, so
		 * it is never given back: a page lost, not a page reused.
		 */
		ostd_printf("smp: CPU with hardware id %llu did not start "
			    "(%s); going on without it\n",
			    (unsigned long long)hw_ids[i],
			    err == OSTD_OK ? "timed out" : ostd_err_name(err));
	}
	ostd_printf("smp: %u CPU(s) online\n", smp_cpu_count());
}

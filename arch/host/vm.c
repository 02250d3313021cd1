// SPDX-License-Identifier: MPL-2.0
/*
 * The host's user-memory hooks: switching a simulated CPU's root, and the
 * fallible copies, which translate through the simulated CPU's MMU and
 * TLB exactly as a kernel-mode access to user memory would. They open the
 * user-access window (x86 RFLAGS.AC under SMAP, RISC-V sstatus.SUM, Arm
 * PSTATE.PAN = 0) only for their own accesses, like the real routines.
 */

#include "ostd/arch/mm.h"
#include "ostd/arch/usercopy.h"

#include "ostd/host/sim.h"
#include "ostd/vm_space.h"

static void set_kernel_mode(struct sim_cpu *cpu)
{
	/*
	 * The mode a kernel runs in once it has user spaces: x86 CR0.WP
	 * (supervisor writes honour read-only pages), CR4.SMEP and SMAP,
	 * EFER.NXE (else XD is a reserved bit: every non-executable leaf
	 * faults); Arm PSTATE.PAN; RISC-V sstatus.SUM clear. The user-access
	 * primitives below open their window from here.
	 */
	cpu->mode = (struct sim_mode){
		.wp = true, .smep = true, .smap = true, .nxe = true, .pan = true
	};
}

void arch_vm_activate(struct page_table *pt)
{
	struct sim_cpu *cpu = sim_cpu_current();

	set_kernel_mode(cpu);
	sim_cpu_set_root(cpu, sim_mmu_for(pt->cfg), pt->root, 0);
	/*
	 * ASID 0 for every such root, so the switch must drop the old
	 * space's translations (CR3 write; satp + sfence.vma; TTBR0 + TLBI):
	 * TESTING.md S7.
	 */
	sim_tlb_flush_all(cpu, false);
}

/*
 * 0: the host suite runs with ASIDs off, so its TLB invariant (I7: every
 * cached entry is mapped or covered by a pending flush) holds as stated.
 * The ASID tests turn them on with asid_init(); the simulated TLB tags
 * entries with the ASID like the hardware (sim.c).
 */
unsigned int arch_asid_bits(void)
{
	return 0;
}

void arch_vm_activate_asid(struct page_table *pt, uint16_t asid,
			   enum asid_flush flush)
{
	struct sim_cpu *cpu = sim_cpu_current();

	set_kernel_mode(cpu);
	sim_cpu_set_root(cpu, sim_mmu_for(pt->cfg), pt->root, asid);
	if (flush == ASID_FLUSH_ONE) {
		sim_tlb_flush_asid(cpu, asid);
	} else if (flush == ASID_FLUSH_ALL) {
		sim_tlb_flush_all(cpu, false);
	}
}

paddr_t arch_vm_current_root(void)
{
	return sim_cpu_current()->root;
}

/* Runs the simulated kernel with the user-access window open. */
static struct sim_mode open_window(struct sim_cpu *cpu)
{
	struct sim_mode saved = cpu->mode;

	cpu->mode.user = false;
	cpu->mode.ac = true;
	cpu->mode.sum = true;
	cpu->mode.pan = false;
	return saved;
}

static uint64_t copy_user(uint64_t va, uint8_t *buf, uint64_t len, bool write,
			  const uint8_t *fill)
{
	struct sim_cpu *cpu = sim_cpu_current();
	struct sim_mode saved = open_window(cpu);
	uint64_t done = 0;

	if (cpu->hw == NULL) {
		cpu->mode = saved;
		return 0; /* No user space is active: every access faults. */
	}
	while (done < len) {
		uint64_t chunk = PAGE_SIZE - ((va + done) & (PAGE_SIZE - 1));
		uint8_t tmp[PAGE_SIZE];
		enum sim_fault f;

		if (chunk > len - done) {
			chunk = len - done;
		}
		if (!write) {
			f = sim_cpu_read(cpu, va + done, buf + done, chunk);
		} else if (fill != NULL) {
			for (uint64_t i = 0; i < chunk; i++) {
				tmp[i] = *fill;
			}
			f = sim_cpu_write(cpu, va + done, tmp, chunk);
		} else {
			f = sim_cpu_write(cpu, va + done, buf + done, chunk);
		}
		if (f != SIM_OK) {
			break;
		}
		done += chunk;
	}
	cpu->mode = saved;
	return done;
}

uint64_t arch_copy_from_user(void *dst, uint64_t src, uint64_t len)
{
	return copy_user(src, dst, len, false, NULL);
}

uint64_t arch_copy_to_user(uint64_t dst, const void *src, uint64_t len)
{
	return copy_user(dst, (uint8_t *)(uintptr_t)src, len, true, NULL);
}

uint64_t arch_fill_user(uint64_t dst, uint8_t byte, uint64_t len)
{
	return copy_user(dst, NULL, len, true, &byte);
}

/* The host pointer of a user word, if this access may touch it. */
static uint32_t *user_word(uint64_t va, enum sim_access kind)
{
	struct sim_cpu *cpu = sim_cpu_current();
	struct sim_mode saved = open_window(cpu);
	struct sim_translation t;
	enum sim_fault f = cpu->hw == NULL
				   ? SIM_FAULT_NOT_PRESENT
				   : sim_cpu_translate(cpu, va, kind, &t);

	cpu->mode = saved;
	return f == SIM_OK ? sim_phys_ptr(t.pa, 4) : NULL;
}

bool arch_atomic_load_user(uint64_t va, uint32_t *val)
{
	uint32_t *p = user_word(va, SIM_READ);

	if (p == NULL) {
		return false;
	}
	*val = __atomic_load_n(p, __ATOMIC_SEQ_CST);
	return true;
}

bool arch_cmpxchg_user(uint64_t va, uint32_t expected, uint32_t new_val,
		       uint32_t *old)
{
	uint32_t *p = user_word(va, SIM_WRITE);

	if (p == NULL) {
		return false;
	}
	__atomic_compare_exchange_n(p, &expected, new_val, false,
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	*old = expected;
	return true;
}

/* The host's "instructions" are never fetched from simulated memory. */
void arch_sync_icache(paddr_t pa, uint64_t len)
{
	(void)pa;
	(void)len;
}

// SPDX-License-Identifier: MPL-2.0
/*
 * User address spaces on riscv64: satp switches, the root read back, and
 * the hardware facts the probes of ostd/arch/probe.h need. The fallible
 * copies are in usercopy.S. References are to the RISC-V Privileged Spec
 * v1.12.
 */

#include "ostd/arch/mm.h"
#include "ostd/arch/probe.h"
#include "ostd/arch/riscv64.h"

#include "ostd/vm_space.h"

void arch_vm_activate(struct page_table *pt)
{
	/*
	 * satp with ASID 0, then SFENCE.VMA (kernel_pt.c): the kernel table,
	 * and every space when ASIDs are off.
	 */
	riscv_satp_switch(riscv_satp_for(pt));
}

unsigned int arch_asid_bits(void)
{
	uint64_t satp = riscv_csr_read(satp);

	/*
	 * 4.1.11: ASIDLEN is found by writing ones to every ASID bit of
	 * satp and reading back which stay set (the low ones are implemented
	 * first). The same root stays installed throughout; the fence drops
	 * whatever was cached under the probe's ASID meanwhile (4.2.1).
	 */
	riscv_csr_write(satp, satp | RISCV_SATP_ASID_MASK);
	uint64_t back = riscv_csr_read(satp);

	riscv_csr_write(satp, satp);
	__asm__ volatile("sfence.vma zero, zero" : : : "memory");
	return (unsigned int)__builtin_popcountll(back & RISCV_SATP_ASID_MASK);
}

void arch_vm_activate_asid(struct page_table *pt, uint16_t asid,
			   enum asid_flush flush)
{
	uint64_t satp = riscv_satp_for(pt) | (uint64_t)asid
						     << RISCV_SATP_ASID_SHIFT;

	/*
	 * 4.1.11: a satp write flushes nothing and needs no fence when the
	 * ASID's cached entries are still good: that is the point of an
	 * ASID. When the allocator says they are not, SFENCE.VMA after the
	 * write drops them before anything runs on the new root (4.2.1):
	 * rs1 = x0 and rs2 = the ASID, that ASID's non-global entries; rs2 =
	 * x0, every ASID's (a rollover). Without a fence the walker is not
	 * ordered after this hart's newest PTE stores of the space (4.2.1),
	 * as for a mapping added to the loaded space (a map flushes
	 * nothing, core/mm/tlb.c): an access may then fault on a page that
	 * is mapped. user_mode_execute() answers such a fault with
	 * vm_space_fault_is_spurious(), which fences that page and retries.
	 */
	riscv_csr_write(satp, satp);
	if (flush == ASID_FLUSH_ONE) {
		__asm__ volatile("sfence.vma zero, %0"
				 :
				 : "r"((uint64_t)asid)
				 : "memory");
	} else if (flush == ASID_FLUSH_ALL) {
		__asm__ volatile("sfence.vma zero, zero" : : : "memory");
	}
}

paddr_t arch_vm_current_root(void)
{
	/* 4.1.11: the root's PPN in satp[43:0]. */
	return pa_init((riscv_csr_read(satp) & RISCV_SATP_PPN_MASK)
		       << PAGE_SHIFT);
}

/*
 * Machine code, little-endian (Unprivileged Spec 20191213, 1.5 "Base
 * Instruction-Length Encoding"), in 4-byte forms (no C extension needed):
 *   ret       = jalr x0, 0(ra)   0x00008067
 *   ecall                        0x00000073
 *   lbu a7, 0(a0)                0x00054883  (a7: the syscall number)
 *   sb a1, 0(a0)                 0x00b50023
 *   jalr x0, 0(a0)               0x00050067
 */
static const uint8_t ret_bytes[] = { 0x67, 0x80, 0x00, 0x00 };
static const uint8_t ecall_bytes[] = { 0x73, 0x00, 0x00, 0x00 };
static const uint8_t user_read[] = { 0x83, 0x48, 0x05, 0x00,
				     0x73, 0x00, 0x00, 0x00 };
static const uint8_t user_write[] = { 0x23, 0x00, 0xb5, 0x00,
				      0x73, 0x00, 0x00, 0x00 };
static const uint8_t user_exec[] = { 0x67, 0x00, 0x05, 0x00,
				     0x73, 0x00, 0x00, 0x00 };

const struct arch_code arch_ret_insn = { ret_bytes, sizeof(ret_bytes) };
const struct arch_code arch_syscall_insn = { ecall_bytes, sizeof(ecall_bytes) };

const struct arch_code arch_user_probe_codes[] = {
	[PROBE_READ] = { user_read, sizeof(user_read) },
	[PROBE_WRITE] = { user_write, sizeof(user_write) },
	[PROBE_EXEC] = { user_exec, sizeof(user_exec) },
};

bool arch_user_access_protected(void)
{
	/*
	 * 4.1.1.2: with SUM = 0, S-mode loads and stores to U=1 pages fault,
	 * and S-mode never executes U=1 pages. SUM is 0 outside usercopy.S.
	 */
	return (riscv_csr_read(sstatus) & RISCV_SSTATUS_SUM) == 0;
}

/*
 * 1: addi a0, a0, -1 (0xfff50513); bnez a0, 1b (0xfe051ee3); ecall: the
 * I- and B-type encodings of Unprivileged Spec 20191213, 2.4 and 2.5.
 */
static const uint8_t user_spin[] = { 0x13, 0x05, 0xf5, 0xff, 0xe3, 0x1e,
				     0x05, 0xfe, 0x73, 0x00, 0x00, 0x00 };

struct arch_code arch_user_spin_code(void)
{
	return (struct arch_code){ user_spin, sizeof(user_spin) };
}

/*
 * csrr a7, satp (0x180028f3; Zicsr csrrs with rs1 = x0, Unprivileged Spec
 * 20191213, 9.1); ecall. satp is an S-mode CSR: from U-mode the read is
 * an illegal-instruction exception (Privileged Spec 20211203, 2.1 "CSR
 * Address Mapping Conventions"), at the csrr itself.
 */
static const uint8_t user_sysinfo[] = { 0xf3, 0x28, 0x00, 0x18,
					0x73, 0x00, 0x00, 0x00 };

struct arch_code arch_user_sysinfo_code(void)
{
	return (struct arch_code){ user_sysinfo, sizeof(user_sysinfo) };
}

/* ebreak (0x00100073, Unprivileged Spec 20191213, 2.8); ecall. */
static const uint8_t user_breakpoint[] = { 0x73, 0x00, 0x10, 0x00,
					   0x73, 0x00, 0x00, 0x00 };

struct arch_code arch_user_breakpoint_code(void)
{
	return (struct arch_code){ user_breakpoint, sizeof(user_breakpoint) };
}

const unsigned int arch_breakpoint_len = 4;
/* A breakpoint exception's sepc is the ebreak itself (Privileged Spec
 * 20211203, 4.1.7 "Supervisor Exception Program Counter"). */
const unsigned int arch_breakpoint_pc_offset = 0;

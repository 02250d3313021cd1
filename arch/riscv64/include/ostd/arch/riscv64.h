/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/*
 * riscv64 private helpers: CSR access, the CSR bits we use and SBI calls.
 * Only arch/riscv64 and RISC-V boards and drivers include this. Assembly
 * includes it too, so everything outside the __ASSEMBLER__ block is plain
 * #defines, with RISCV_UL() because assemblers need not take C suffixes.
 */

#ifdef __ASSEMBLER__
#define RISCV_UL(x) x
#else
#define RISCV_UL(x) x##UL
#endif

/* RISC-V Privileged Spec v1.12, 4.1.1 sstatus. */
#define RISCV_SSTATUS_SIE (RISCV_UL(1) << 1)  /* S-mode interrupts enabled. */
#define RISCV_SSTATUS_SPIE (RISCV_UL(1) << 5) /* SIE before the trap. */
#define RISCV_SSTATUS_SPP (RISCV_UL(1) << 8)  /* Trap came from S (1), U (0). */
/* FP unit state, bits [14:13]; 0 = Off makes every FP instruction trap. */
#define RISCV_SSTATUS_FS (RISCV_UL(3) << 13)
/*
 * 4.1.1.2 "Memory Privilege in sstatus": SUM = 1 lets S-mode loads and
 * stores reach U=1 pages (never fetches); MXR = 1 makes execute-only
 * pages readable. The kernel keeps both 0 except SUM inside usercopy.S.
 */
#define RISCV_SSTATUS_SUM (RISCV_UL(1) << 18)
#define RISCV_SSTATUS_MXR (RISCV_UL(1) << 19)

/* 4.1.3 sie/sip: the supervisor timer interrupt enable and pending bit. */
#define RISCV_SIE_STIE (RISCV_UL(1) << 5)
/*
 * 4.1.3 sie/sip bit 1: the supervisor software interrupt (an IPI). SSIP is
 * writable in sip, so S-mode acknowledges an IPI by clearing it.
 */
#define RISCV_SIE_SSIE (RISCV_UL(1) << 1)
#define RISCV_SIP_SSIP (RISCV_UL(1) << 1)
/* Interrupt code 5 in scause (Table 4.2): supervisor timer interrupt. */
#define RISCV_IRQ_S_TIMER 5
/* Interrupt code 1 in scause (Table 4.2): supervisor software interrupt. */
#define RISCV_IRQ_S_SOFT 1

/*
 * 4.1.11 satp: MODE in bits [63:60] (8 = Sv39, 9 = Sv48; Table 4.4),
 * ASID in [59:44], the root table's PPN in [43:0].
 */
#define RISCV_SATP_MODE_SHIFT 60
#define RISCV_SATP_MODE_SV39 RISCV_UL(8)
#define RISCV_SATP_MODE_SV48 RISCV_UL(9)
#define RISCV_SATP_PPN_MASK ((RISCV_UL(1) << 44) - 1)
/* 4.1.11 Figure 4.12 (Sv39/Sv48): ASID in satp[59:44], at most 16 bits. */
#define RISCV_SATP_ASID_SHIFT 44
#define RISCV_SATP_ASID_MASK (RISCV_UL(0xffff) << RISCV_SATP_ASID_SHIFT)

/* Privileged Spec v1.12, 4.1.2 stvec: MODE is bits [1:0]. */
#define RISCV_STVEC_MODE_DIRECT RISCV_UL(0)

/* Privileged Spec v1.12, 4.1.8 scause: the top bit marks an interrupt. */
#define RISCV_SCAUSE_INTERRUPT (RISCV_UL(1) << 63)

/* Privileged Spec v1.12, Table 4.2: exception codes with interrupt = 0. */
#define RISCV_EXC_INST_MISALIGNED 0
#define RISCV_EXC_INST_ACCESS 1
#define RISCV_EXC_ILLEGAL_INST 2
#define RISCV_EXC_BREAKPOINT 3
#define RISCV_EXC_LOAD_MISALIGNED 4
#define RISCV_EXC_LOAD_ACCESS 5
#define RISCV_EXC_STORE_MISALIGNED 6
#define RISCV_EXC_STORE_ACCESS 7
#define RISCV_EXC_ECALL_U 8
#define RISCV_EXC_ECALL_S 9
#define RISCV_EXC_INST_PAGE_FAULT 12
#define RISCV_EXC_LOAD_PAGE_FAULT 13
#define RISCV_EXC_STORE_PAGE_FAULT 15

/*
 * SBI calls (RISC-V SBI Spec v1.0.0, chapter 3 "Binary Encoding"): a7 holds
 * the extension id, a6 the function id; a0/a1 return error and value.
 */
#define RISCV_SBI_EXT_LEGACY_PUTCHAR 0x01  /* SBI v1.0.0, 5.2. */
#define RISCV_SBI_EXT_LEGACY_SHUTDOWN 0x08 /* SBI v1.0.0, 5.9. */
#define RISCV_SBI_EXT_TIME 0x54494D45      /* "TIME", SBI v1.0.0, ch. 6. */
#define RISCV_SBI_TIME_SET_TIMER 0
#define RISCV_SBI_EXT_SRST 0x53525354 /* "SRST", SBI v1.0.0, ch. 10. */
#define RISCV_SBI_SRST_RESET 0
#define RISCV_SBI_SRST_SHUTDOWN 0
#define RISCV_SBI_SRST_COLD_REBOOT 1
#define RISCV_SBI_SRST_REASON_NONE 0
#define RISCV_SBI_SRST_REASON_FAILURE 1
/* "Base" (SBI v1.0.0, ch. 4): probe_extension returns 0 if absent. */
#define RISCV_SBI_EXT_BASE 0x10
#define RISCV_SBI_BASE_PROBE_EXTENSION 3
/* "sPI", SBI v1.0.0, ch. 7: send_ipi(hart_mask, hart_mask_base). */
#define RISCV_SBI_EXT_IPI 0x735049
#define RISCV_SBI_IPI_SEND_IPI 0
/*
 * "RFNC", SBI v1.0.0, ch. 8: remote_fence_i(hart_mask, base) and
 * remote_sfence_vma(hart_mask, base, start_addr, size).
 */
#define RISCV_SBI_EXT_RFENCE 0x52464E43
#define RISCV_SBI_RFENCE_FENCE_I 0
#define RISCV_SBI_RFENCE_SFENCE_VMA 1
/* "HSM", SBI v1.0.0, ch. 9: hart_start(hartid, start_addr, opaque). */
#define RISCV_SBI_EXT_HSM 0x48534D
#define RISCV_SBI_HSM_HART_START 0
/*
 * SBI v1.0.0, 3.1 "Hart list parameter": a hart set is a mask of XLEN
 * bits whose bit i stands for hart id hart_mask_base + i.
 */
#define RISCV_SBI_HART_MASK_BITS 64

#ifndef __ASSEMBLER__

#include <stdbool.h>
#include <stdint.h>

#define riscv_csr_read(csr)                                    \
	({                                                     \
		unsigned long v_;                              \
		__asm__ volatile("csrr %0, " #csr : "=r"(v_)); \
		v_;                                            \
	})

#define riscv_csr_write(csr, val)                                              \
	do {                                                                   \
		unsigned long v_ = (val);                                      \
		__asm__ volatile("csrw " #csr ", %0" : : "rK"(v_) : "memory"); \
	} while (0)

#define riscv_csr_clear(csr, bits)                                             \
	do {                                                                   \
		unsigned long v_ = (bits);                                     \
		__asm__ volatile("csrc " #csr ", %0" : : "rK"(v_) : "memory"); \
	} while (0)

/*
 * The image's link address less its load address (boot.S computes it
 * before the MMU is on): a pointer into the image is at physical
 * (uintptr_t)p - riscv_image_delta.
 */
extern uint64_t riscv_image_delta;

/*
 * An exception-table entry (ostd/extable.h) from C inline asm: a fault or
 * breakpoint at label @p insn resumes at label @p fixup, e.g. a semihosting
 * `ebreak` when QEMU runs without -semihosting.
 */
#define RISCV_EXTABLE(insn, fixup)                                             \
	".pushsection ostd_extable, \"a\"\n.balign 8\n.dword " insn ", " fixup \
	"\n.popsection\n"

struct page_table;

/** The satp value that translates through @p pt (ASID 0, 4.1.11). */
uint64_t riscv_satp_for(const struct page_table *pt);

/** Installs @p satp and flushes every translation (kernel_pt.c). */
void riscv_satp_switch(uint64_t satp);

#define riscv_csr_set(csr, bits)                                               \
	do {                                                                   \
		unsigned long v_ = (bits);                                     \
		__asm__ volatile("csrs " #csr ", %0" : : "rK"(v_) : "memory"); \
	} while (0)

struct riscv_sbiret {
	long error;
	long value;
};

/** Makes an SBI call with two arguments. */
static inline struct riscv_sbiret riscv_sbi_call(unsigned long ext,
						 unsigned long fid,
						 unsigned long arg0,
						 unsigned long arg1)
{
	register unsigned long a0 __asm__("a0") = arg0;
	register unsigned long a1 __asm__("a1") = arg1;
	register unsigned long a6 __asm__("a6") = fid;
	register unsigned long a7 __asm__("a7") = ext;

	__asm__ volatile("ecall"
			 : "+r"(a0), "+r"(a1)
			 : "r"(a6), "r"(a7)
			 : "memory");
	return (struct riscv_sbiret){ .error = (long)a0, .value = (long)a1 };
}

/** Makes an SBI call with four arguments (RFENCE, HSM). */
static inline struct riscv_sbiret
riscv_sbi_call4(unsigned long ext, unsigned long fid, unsigned long arg0,
		unsigned long arg1, unsigned long arg2, unsigned long arg3)
{
	register unsigned long a0 __asm__("a0") = arg0;
	register unsigned long a1 __asm__("a1") = arg1;
	register unsigned long a2 __asm__("a2") = arg2;
	register unsigned long a3 __asm__("a3") = arg3;
	register unsigned long a6 __asm__("a6") = fid;
	register unsigned long a7 __asm__("a7") = ext;

	__asm__ volatile("ecall"
			 : "+r"(a0), "+r"(a1)
			 : "r"(a2), "r"(a3), "r"(a6), "r"(a7)
			 : "memory");
	return (struct riscv_sbiret){ .error = (long)a0, .value = (long)a1 };
}

/** True if the SBI implementation has extension @p ext (Base, 4.8). */
static inline bool riscv_sbi_has(unsigned long ext)
{
	struct riscv_sbiret r = riscv_sbi_call(
		RISCV_SBI_EXT_BASE, RISCV_SBI_BASE_PROBE_EXTENSION, ext, 0);

	return r.error == 0 && r.value != 0;
}

/**
 * Calls the SBI function @p fid of @p ext (IPI or RFENCE: a hart set
 * first, then @p arg2 and @p arg3) once per 64-hart window covering the
 * hart ids of the CPUs in @p cpus (indices into cpu_locals). Returns the
 * first error, or 0. Context: any (smp.c).
 */
long riscv_sbi_call_harts(unsigned long ext, unsigned long fid, uint64_t cpus,
			  unsigned long arg2, unsigned long arg3);

/**
 * Makes the harts of the CPUs in @p cpus (never this one) execute
 * FENCE.I, and returns once they have (smp.c). Context: any.
 */
void riscv_remote_fence_i(uint64_t cpus);

#endif /* __ASSEMBLER__ */

/* e_machine of our executables: EM_RISCV (gABI 4.1 "ELF Header", e_machine). */
#define ARCH_ELF_MACHINE 243

/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/*
 * AArch64 private helpers: system registers, ESR decoding and the
 * exception fixup table. Only arch/aarch64 and Arm drivers include this.
 *
 * "Arm ARM" is the Arm Architecture Reference Manual for A-profile, DDI 0487
 * (G.b numbering). System registers are cited by their description in
 * D13.2 "General system control registers", by name, since the subsection
 * numbers move between revisions.
 */

#include <stdint.h>

/* Reads a system register by name: aarch64_read_sysreg(mpidr_el1). */
#define aarch64_read_sysreg(reg)                              \
	({                                                    \
		uint64_t v_;                                  \
		__asm__ volatile("mrs %0, " #reg : "=r"(v_)); \
		v_;                                           \
	})

/* Arm ARM D13.2 MPIDR_EL1: Aff3 [39:32], Aff2 [23:16], Aff1 [15:8], Aff0. */
#define AARCH64_MPIDR_AFF_MASK 0xff00ffffffULL

/* Arm ARM D13.2 ESR_EL1: EC [31:26], IL [25], ISS [24:0]. */
#define AARCH64_ESR_EC_SHIFT 26
#define AARCH64_ESR_EC_MASK 0x3f
#define AARCH64_ESR_ISS_MASK 0x1ffffff

/* Arm ARM D13.2 ESR_EL1, field EC: the classes the trap handler names. */
#define AARCH64_EC_UNKNOWN 0x00
#define AARCH64_EC_WFX 0x01
#define AARCH64_EC_FP_ASIMD 0x07
#define AARCH64_EC_ILLEGAL_STATE 0x0e
#define AARCH64_EC_SVC64 0x15
#define AARCH64_EC_HVC64 0x16
#define AARCH64_EC_SMC64 0x17
#define AARCH64_EC_SYSREG 0x18
#define AARCH64_EC_SVE 0x19
#define AARCH64_EC_IABT_LOWER 0x20
#define AARCH64_EC_IABT_CUR 0x21
#define AARCH64_EC_PC_ALIGN 0x22
#define AARCH64_EC_DABT_LOWER 0x24
#define AARCH64_EC_DABT_CUR 0x25
#define AARCH64_EC_SP_ALIGN 0x26
#define AARCH64_EC_SERROR 0x2f
#define AARCH64_EC_BRK64 0x3c

/* Arm ARM D1.10.2 "Exception vectors": the four kinds in each group. */
#define AARCH64_VEC_SYNC 0
#define AARCH64_VEC_IRQ 1
#define AARCH64_VEC_FIQ 2
#define AARCH64_VEC_SERROR 3

/*
 * The exception fixup table (ostd/extable.h). An instruction that may take
 * a synchronous exception on purpose (a probe, such as a semihosting `hlt`
 * that is an undefined instruction when QEMU runs without -semihosting)
 * registers its address with a fixup address; the trap handler resumes at
 * the fixup instead of panicking. Entries are struct extable_entry pairs
 * of absolute addresses in the `ostd_extable` section (linker.ld).
 *
 * Use inside an asm statement, after the local label of the instruction:
 *   "1: hlt #0xf000\n" "2:\n" AARCH64_EXTABLE("1b", "2b")
 */
#define AARCH64_EXTABLE(insn, fixup)         \
	".pushsection ostd_extable, \"a\"\n" \
	".balign 8\n"                        \
	".quad " insn ", " fixup "\n"        \
	".popsection\n"

/* Writes a system register by name. */
#define aarch64_write_sysreg(reg, val)                                       \
	do {                                                                 \
		uint64_t w_ = (val);                                         \
		__asm__ volatile("msr " #reg ", %0" : : "r"(w_) : "memory"); \
	} while (0)

/* The physical address the image's KERNEL_VMA_OFFSET stands for (mm.c). */
extern uint64_t aarch64_kimage_pa_base;

/*
 * True once kernel_pt.c found FEAT_PAN (ID_AA64MMFR1_EL1.PAN != 0) and
 * set PSTATE.PAN. usercopy.S reads it: MSR PAN is UNDEFINED without it.
 */
extern uint8_t aarch64_has_pan;

/*
 * Software PAN on a CPU without FEAT_PAN (kernel_pt.c): the kernel runs
 * with TTBR0_EL1 = aarch64_uaccess_closed (an empty lower half, ASID 0)
 * and switches to aarch64_uaccess_open (the active space, its ASID) only at
 * EL0 and inside the user copies. closed is 0 while PAN is hardware's.
 */
extern uint64_t aarch64_uaccess_closed;
/*
 * The open value is per CPU, since each CPU has its own active space:
 * *aarch64_cpu_word(AARCH64_CL_UACCESS_OPEN) (ostd/arch/aarch64_smp.h).
 */
#define AARCH64_UACCESS_ASID (1ULL << 48)

/**
 * This CPU's word at @p offset of its struct cpu_local's arch[] (one of
 * the AARCH64_CL_* offsets of ostd/arch/aarch64_smp.h), for C code that
 * shares it with the assembly. Context: any, after the per-CPU install.
 */
uint64_t *aarch64_cpu_word(unsigned int offset);

/* ID_AA64MMFR1_EL1.PAN [23:20]: FEAT_PAN when non-zero. */
#define AARCH64_ID_MMFR1_PAN_SHIFT 20

/* e_machine of our executables: EM_AARCH64 (gABI 4.1 "ELF Header", e_machine). */
#define ARCH_ELF_MACHINE 183

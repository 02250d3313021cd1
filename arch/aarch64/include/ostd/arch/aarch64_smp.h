/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/*
 * The aarch64 words of struct cpu_local.arch[] (ostd/internal/cpu_local.h):
 * TPIDR_EL1 holds the CPU's struct cpu_local (Arm ARM DDI 0487, D13.2
 * "TPIDR_EL1": EL0 can neither read nor write it, so no user program can
 * move the kernel's per-CPU pointer, and no entry path has to restore it).
 * The assembly reaches these words as [TPIDR_EL1, #offset]; smp.c checks
 * the offsets against the C struct. Included by assembly: macros only.
 */

/*
 * user.S: SP_EL1 inside aarch64_user_enter (where aarch64_user_return goes
 * back to), and the struct user_context of the program running at EL0.
 */
#define AARCH64_CL_KERNEL_SP 0
#define AARCH64_CL_USER_CTX 8
/*
 * Software PAN (kernel_pt.c): the TTBR0_EL1 value that opens this CPU's
 * active user space (vm.c writes it; user.S, trap.S, usercopy.S read it).
 */
#define AARCH64_CL_UACCESS_OPEN 16
/* The first byte past the words above; at most 64 (arch[8]). */
#define AARCH64_CL_ARCH_END 24

/*
 * struct aarch64_boot_record (smp.c): what a starting CPU reads, with its
 * MMU off, in aarch64_secondary_entry (boot.S). One per CPU index.
 */
#define AARCH64_BOOT_REC_MPIDR 0     /* MPIDR_EL1 affinity (spin table). */
#define AARCH64_BOOT_REC_CL 8        /* struct cpu_local *, for TPIDR_EL1. */
#define AARCH64_BOOT_REC_STACK 16    /* Stack top; 0 = record not in use. */
#define AARCH64_BOOT_REC_TTBR1 24    /* The kernel table's TTBR1_EL1. */
#define AARCH64_BOOT_REC_SIZE 64     /* A cache line each (cleaned alone). */
#define AARCH64_BOOT_RECORD_COUNT 64 /* OSTD_MAX_CPUS, checked in smp.c. */

/* MPIDR_EL1 Aff3 [39:32], Aff2..Aff0 [23:0] (AARCH64_MPIDR_AFF_MASK). */
#define AARCH64_BOOT_MPIDR_AFF 0xff00ffffff

/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/*
 * Offsets shared by the riscv64 assembly (trap.S) and C (user.c checks
 * them against the structs with STATIC_ASSERT).
 */

/* struct user_context (ostd/user.h): regs[32], pc, flags, tls, exc. */
#define CTX_REG(n) ((n)*8)
#define CTX_PC (32 * 8)
#define CTX_FLAGS (33 * 8)

/*
 * The per-CPU area's arch words (struct cpu_local.arch[], offsets from
 * tp; ostd/internal/cpu_local.h gives the arch offsets 0..63). tp holds
 * the area in the kernel; while user code runs, sscratch holds it and tp
 * is the user's (trap.S).
 *   arch[0] CL_KERNEL_SP  arch_user_enter()'s frame (below), i.e. the
 *                         kernel sp to trap onto from U-mode;
 *   arch[1] CL_USER_SP    the user sp, for the few instructions of the
 *                         trap entry between the switch to the kernel
 *                         stack and its save into the user context.
 * arch[2..7] are unused.
 */
#define CL_KERNEL_SP (0 * 8)
#define CL_USER_SP (1 * 8)

/*
 * The frame arch_user_enter() keeps on the kernel stack while user code
 * runs; CL_KERNEL_SP points at it (trap.S). The kernel's callee-saved
 * registers, the context, the caller's sstatus (for its SIE) and a
 * scratch slot for the trap entry.
 */
#define UF_RA 0
#define UF_S(n) (8 + (n)*8) /* s0..s11 */
#define UF_CTX (13 * 8)
#define UF_SSTATUS (14 * 8)
#define UF_SCRATCH (15 * 8)
#define UF_SIZE (16 * 8)

/*
 * struct riscv_start_record (smp.c), which a secondary hart reads at its
 * physical address before its MMU is on (boot.S riscv_secondary_entry).
 */
#define RISCV_START_HARTID (0 * 8)
#define RISCV_START_SATP (1 * 8)
#define RISCV_START_STACK (2 * 8)
#define RISCV_START_CL (3 * 8)
#define RISCV_START_SIZE (4 * 8)

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
 * The frame arch_user_enter() keeps on the kernel stack while user code
 * runs; sscratch points at it (trap.S). The kernel's callee-saved
 * registers, the context, the caller's sstatus (for its SIE) and a
 * scratch slot for the trap entry.
 */
#define UF_RA 0
#define UF_S(n) (8 + (n)*8) /* s0..s11 */
#define UF_CTX (13 * 8)
#define UF_SSTATUS (14 * 8)
#define UF_SCRATCH (15 * 8)
#define UF_SIZE (16 * 8)

/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Entering and leaving EL0 (Arm ARM DDI 0487, D1.10 "Exception entry" and
 * C5.2 / D1.7 for SPSR_EL1 and ELR_EL1).
 *
 * aarch64_user_enter(ctx) saves the kernel's callee-saved registers on the
 * task's stack and records that stack pointer (the way back) in
 * aarch64_kernel_sp. It stays SP_EL1, so a trap from EL0 builds its frame
 * just below. Then it loads the user state of ctx: x0-x30, SP_EL0,
 * TPIDR_EL0, ELR_EL1 (the pc) and SPSR_EL1 (EL0t with the flags user.c
 * made safe), and erets.
 *
 * The way back is aarch64_user_return(reason), called by trap.c once the
 * user state is saved into ctx (a system call, or an exception in EL0): it
 * drops the trap frame and returns from aarch64_user_enter with the
 * reason.
 *
 * The way back and the context are per CPU, in the CPU's struct cpu_local
 * at [TPIDR_EL1, #AARCH64_CL_*] (ostd/arch/aarch64_smp.h): every CPU may
 * run a program at EL0 at the same time, each on its own task stack.
 */

#include "ostd/arch/aarch64_frame.inc"
#include "ostd/arch/aarch64_smp.h"

/* struct user_context: regs[32] (x0-x30, sp), pc, flags, tls. */
#define CTX_SP (31 * 8)
#define CTX_PC (32 * 8)
#define CTX_FLAGS (33 * 8)
#define CTX_TLS (34 * 8)

	.text
/* enum user_return_reason aarch64_user_enter(struct user_context *ctx) */
	.global aarch64_user_enter
aarch64_user_enter:
	/* Called with IRQs masked (user.c): no interrupt sees half of this. */
	PUSH_CALLEE_SAVED
	mov	x1, sp
	mrs	x2, tpidr_el1
	str	x1, [x2, #AARCH64_CL_KERNEL_SP]
	str	x0, [x2, #AARCH64_CL_USER_CTX]

	ldr	x1, [x0, #CTX_SP]
	msr	sp_el0, x1
	ldr	x1, [x0, #CTX_PC]
	msr	elr_el1, x1
	ldr	x1, [x0, #CTX_FLAGS]
	msr	spsr_el1, x1
	ldr	x1, [x0, #CTX_TLS]
	msr	tpidr_el0, x1
	/* Software PAN (kernel_pt.c): EL0 runs on the space's TTBR0_EL1. */
	adrp	x3, aarch64_uaccess_closed
	ldr	x3, [x3, :lo12:aarch64_uaccess_closed]
	cbz	x3, 1f
	ldr	x3, [x2, #AARCH64_CL_UACCESS_OPEN]
	msr	ttbr0_el1, x3
1:
	/*
	 * User mappings the kernel just made must be visible to EL0's
	 * walks: the DSB completes the descriptor writes (D5.10.1), and the
	 * ERET is a context synchronization event.
	 */
	dsb	ish

	ldp	x2, x3, [x0, #2 * 8]
	ldp	x4, x5, [x0, #4 * 8]
	ldp	x6, x7, [x0, #6 * 8]
	ldp	x8, x9, [x0, #8 * 8]
	ldp	x10, x11, [x0, #10 * 8]
	ldp	x12, x13, [x0, #12 * 8]
	ldp	x14, x15, [x0, #14 * 8]
	ldp	x16, x17, [x0, #16 * 8]
	ldp	x18, x19, [x0, #18 * 8]
	ldp	x20, x21, [x0, #20 * 8]
	ldp	x22, x23, [x0, #22 * 8]
	ldp	x24, x25, [x0, #24 * 8]
	ldp	x26, x27, [x0, #26 * 8]
	ldp	x28, x29, [x0, #28 * 8]
	ldr	x30, [x0, #30 * 8]
	ldp	x0, x1, [x0]
	eret

/* NORETURN void aarch64_user_return(enum user_return_reason why) */
	.global aarch64_user_return
aarch64_user_return:
	mrs	x1, tpidr_el1
	ldr	x1, [x1, #AARCH64_CL_KERNEL_SP]
	mov	sp, x1
	POP_CALLEE_SAVED
	ret

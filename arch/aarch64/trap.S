/* SPDX-License-Identifier: MPL-2.0 */
/*
 * The EL1 exception vector table (Arm ARM DDI 0487 D1.10.2, "Exception
 * vectors"): 16 entries of 0x80 bytes, in four groups (current EL with
 * SP_EL0, current EL with SP_ELx, lower EL in AArch64, lower EL in AArch32)
 * of four kinds (synchronous, IRQ, FIQ, SError). VBAR_EL1 holds bits [63:11]
 * of the base, so the table is 2 KiB aligned.
 *
 * Every entry saves x0-x30, the interrupted SP (SP_EL0 for a trap from
 * EL0, else the EL1 stack above the frame), ELR_EL1, SPSR_EL1, ESR_EL1,
 * FAR_EL1 and its own index into a struct aarch64_trap_frame (trap.c) on
 * the current stack (SP_EL1: the kernel stack, also for traps from EL0,
 * where it is the stack arch_user_enter left) and calls
 * aarch64_trap(frame). When that returns (an interrupt, an exception
 * fixup), the registers, SP_EL0 for EL0, ELR_EL1 and SPSR_EL1 are reloaded
 * from the frame and we eret. Under software PAN (kernel_pt.c) the frame
 * also keeps TTBR0_EL1, as SPSR_EL1 keeps PSTATE.PAN: the handler runs
 * with user access closed, and the eret reopens it only where it was open
 * (at EL0, or inside a user copy). A trap from EL0 that ends user mode never
 * returns here: trap.c leaves through aarch64_user_return (user.S).
 */

#define FRAME_X30 (30 * 8)
#define FRAME_SP (31 * 8)
#define FRAME_ELR (32 * 8)
#define FRAME_ESR (34 * 8)
#define FRAME_VECTOR (36 * 8)
#define FRAME_TTBR0 (37 * 8)
#define FRAME_SIZE (38 * 8)

/* Vectors 8 and up are taken from a lower EL (EL0). */
#define VECTOR_FIRST_LOWER 8

.macro VENTRY idx
	.balign	0x80
	sub	sp, sp, #FRAME_SIZE
	stp	x0, x1, [sp]
	mov	x0, #\idx
	b	aarch64_trap_common
.endm

	.text
	.balign	2048
	.global aarch64_vectors
aarch64_vectors:
	.irp	idx, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	VENTRY	\idx
	.endr

aarch64_trap_common:
	stp	x2, x3, [sp, #2 * 8]
	stp	x4, x5, [sp, #4 * 8]
	stp	x6, x7, [sp, #6 * 8]
	stp	x8, x9, [sp, #8 * 8]
	stp	x10, x11, [sp, #10 * 8]
	stp	x12, x13, [sp, #12 * 8]
	stp	x14, x15, [sp, #14 * 8]
	stp	x16, x17, [sp, #16 * 8]
	stp	x18, x19, [sp, #18 * 8]
	stp	x20, x21, [sp, #20 * 8]
	stp	x22, x23, [sp, #22 * 8]
	stp	x24, x25, [sp, #24 * 8]
	stp	x26, x27, [sp, #26 * 8]
	stp	x28, x29, [sp, #28 * 8]
	add	x1, sp, #FRAME_SIZE
	cmp	x0, #VECTOR_FIRST_LOWER
	b.lo	1f
	mrs	x1, sp_el0
	/*
	 * From EL0 the frame pointer is the user's: start the kernel's
	 * backtrace chain afresh.
	 */
	mov	x29, xzr
1:	stp	x30, x1, [sp, #FRAME_X30]
	mrs	x1, elr_el1
	mrs	x2, spsr_el1
	stp	x1, x2, [sp, #FRAME_ELR]
	mrs	x1, esr_el1
	mrs	x2, far_el1
	stp	x1, x2, [sp, #FRAME_ESR]
	str	x0, [sp, #FRAME_VECTOR]
	adrp	x1, aarch64_uaccess_closed
	ldr	x1, [x1, :lo12:aarch64_uaccess_closed]
	mrs	x2, ttbr0_el1
	str	x2, [sp, #FRAME_TTBR0]
	cbz	x1, 3f
	msr	ttbr0_el1, x1
	isb
3:	mov	x0, sp
	bl	aarch64_trap

	ldr	x0, [sp, #FRAME_VECTOR]
	cmp	x0, #VECTOR_FIRST_LOWER
	b.lo	2f
	ldr	x1, [sp, #FRAME_SP]
	msr	sp_el0, x1
2:	ldp	x1, x2, [sp, #FRAME_ELR]
	msr	elr_el1, x1
	msr	spsr_el1, x2
	adrp	x1, aarch64_uaccess_closed
	ldr	x1, [x1, :lo12:aarch64_uaccess_closed]
	cbz	x1, 3f
	/* The eret below is the context synchronization event. */
	ldr	x1, [sp, #FRAME_TTBR0]
	msr	ttbr0_el1, x1
3:	ldp	x0, x1, [sp]
	ldp	x2, x3, [sp, #2 * 8]
	ldp	x4, x5, [sp, #4 * 8]
	ldp	x6, x7, [sp, #6 * 8]
	ldp	x8, x9, [sp, #8 * 8]
	ldp	x10, x11, [sp, #10 * 8]
	ldp	x12, x13, [sp, #12 * 8]
	ldp	x14, x15, [sp, #14 * 8]
	ldp	x16, x17, [sp, #16 * 8]
	ldp	x18, x19, [sp, #18 * 8]
	ldp	x20, x21, [sp, #20 * 8]
	ldp	x22, x23, [sp, #22 * 8]
	ldp	x24, x25, [sp, #24 * 8]
	ldp	x26, x27, [sp, #26 * 8]
	ldp	x28, x29, [sp, #28 * 8]
	ldr	x30, [sp, #FRAME_X30]
	add	sp, sp, #FRAME_SIZE
	eret

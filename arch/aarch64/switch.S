/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Kernel task switch (core/task.c): only the AAPCS64 callee-saved
 * registers need saving (x19-x28, the frame pointer x29 and the link
 * register x30; "Procedure Call Standard for the Arm 64-bit
 * Architecture", 6.1.1), since the switch is an ordinary call for both
 * sides. No FP/SIMD state: the kernel is built with -mgeneral-regs-only.
 * A new task's stack (arch_task_stack_init() in user.c) holds zeros and
 * aarch64_task_start as the saved x30.
 */

	.text
/* void arch_context_switch(uintptr_t *save_sp, uintptr_t next_sp) */
	.global arch_context_switch
arch_context_switch:
	stp	x29, x30, [sp, #-96]!
	stp	x19, x20, [sp, #16]
	stp	x21, x22, [sp, #32]
	stp	x23, x24, [sp, #48]
	stp	x25, x26, [sp, #64]
	stp	x27, x28, [sp, #80]
	mov	x2, sp
	str	x2, [x0]
	mov	sp, x1
	ldp	x19, x20, [sp, #16]
	ldp	x21, x22, [sp, #32]
	ldp	x23, x24, [sp, #48]
	ldp	x25, x26, [sp, #64]
	ldp	x27, x28, [sp, #80]
	ldp	x29, x30, [sp], #96
	ret

	.global aarch64_task_start
aarch64_task_start:
	/* The outermost frame of the task: backtraces stop here. */
	mov	x29, xzr
	bl	task_entry
	udf	#0

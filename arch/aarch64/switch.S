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

#include "ostd/arch/aarch64_frame.inc"

	.text
/* void arch_context_switch(uintptr_t *save_sp, uintptr_t next_sp) */
	.global arch_context_switch
arch_context_switch:
	PUSH_CALLEE_SAVED
	mov	x2, sp
	str	x2, [x0]
	mov	sp, x1
	POP_CALLEE_SAVED
	ret

	.global aarch64_task_start
aarch64_task_start:
	/* The outermost frame of the task: backtraces stop here. */
	mov	x29, xzr
	bl	task_entry
	udf	#0

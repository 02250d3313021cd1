/* SPDX-License-Identifier: MPL-2.0 */
/*
 * The task switch (ostd/task.h). Only the callee-saved registers of the
 * RISC-V psABI (ra, sp, s0-s11; "Integer Register Convention") survive a
 * call, so only they are saved; the caller saved the rest. gp and tp are
 * not used by the kernel.
 */

#define SWITCH_FRAME (14 * 8) /* ra, s0-s11, padding: 16-byte aligned. */

	.text
/* void arch_context_switch(uintptr_t *save_sp, uintptr_t next_sp) */
	.global arch_context_switch
arch_context_switch:
	addi sp, sp, -SWITCH_FRAME
	sd ra, 0(sp)
	.irp n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
	sd s\n, (8 + \n * 8)(sp)
	.endr
	sd sp, 0(a0)
	mv sp, a1
	ld ra, 0(sp)
	.irp n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
	ld s\n, (8 + \n * 8)(sp)
	.endr
	addi sp, sp, SWITCH_FRAME
	ret

/*
 * uintptr_t arch_task_stack_init(uintptr_t stack_top): a switch frame
 * whose ra is task_entry and whose s0 (the frame pointer) is 0, so the
 * first switch "returns" into task_entry() on an empty stack and
 * backtraces end there.
 */
	.global arch_task_stack_init
arch_task_stack_init:
	andi a0, a0, -16
	addi a0, a0, -SWITCH_FRAME
	lla t0, task_entry
	sd t0, 0(a0)
	.irp n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
	sd zero, (8 + \n * 8)(a0)
	.endr
	ret

/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Kernel task switch (core/task.c): only the System V callee-saved
 * registers need saving, since the switch is an ordinary call for both
 * sides. A new task's stack (arch_task_stack_init() in user.c) holds six
 * zeros and x86_64_task_start as the return address.
 */

	.text
/* void arch_context_switch(uintptr_t *save_sp, uintptr_t next_sp) */
	.global arch_context_switch
arch_context_switch:
	push %rbp
	push %rbx
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, (%rdi)
	mov %rsi, %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
	ret

	.global x86_64_task_start
x86_64_task_start:
	/* The outermost frame of the task: backtraces stop here. */
	xor %ebp, %ebp
	call task_entry
	ud2

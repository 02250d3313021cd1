/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Exception entry stubs, one per IDT vector. The CPU pushes an error code
 * only for vectors 8, 10-14, 17, 21, 29 and 30 (Intel SDM vol 3A, 6.13 and
 * Table 6-1); the other stubs push a zero so every frame has one layout:
 * struct x86_64_trap_frame in trap.c.
 *
 * GS: in ring 0 the GS base holds this CPU's area (smp.c), in ring 3 the
 * user's value, with the area in IA32_KERNEL_GS_BASE (SDM vol 3A, 5.8.8).
 * A trap from ring 3 must SWAPGS, one from ring 0 must not; but the
 * saved CS does not tell which base is live, since NMI, #DB and #MC (IST
 * gates) can arrive in ring 0 on the SYSCALL entry's first instruction,
 * or between user.S's SWAPGS and IRETQ. The base itself does: the area is
 * a kernel-half address (bit 63 set), and a user GS base never is, since
 * ring 3 can set it only with a selector load (a GDT base of 0) while
 * CR4.FSGSBASE stays clear (WRGSBASE is #UD, vol 2B). So read
 * IA32_GS_BASE, swap if it is not the area, and swap back on the way out.
 */

#define MSR_GS_BASE 0xc0000101

.macro STUB vec
	.p2align 4
x86_64_vector_\vec:
	.if !(\vec == 8 || (\vec >= 10 && \vec <= 14) || \vec == 17 || \vec == 21 || \vec == 29 || \vec == 30)
	push $0
	.endif
	push $\vec
	jmp x86_64_trap_common
.endm

	.text
x86_64_trap_common:
	push %rax
	push %rbx
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %rbp
	push %r8
	push %r9
	push %r10
	push %r11
	push %r12
	push %r13
	push %r14
	push %r15
	cld
	/* rbx (callee-saved across the call) remembers whether we swapped. */
	xor %ebx, %ebx
	mov $MSR_GS_BASE, %ecx
	rdmsr
	test %edx, %edx
	js 1f
	swapgs
	inc %ebx
1:
	/*
	 * RFLAGS.AC may be set: user code owns it, and a fallible copy
	 * runs with it (SMAP open). Interrupt gates do not clear it (SDM
	 * vol 3A, 6.12.1.3), so close SMAP here; IRETQ restores it.
	 */
	pushfq
	andq $~(1 << 18), (%rsp)
	popfq
	mov %rsp, %rdi
	call x86_64_trap
	test %ebx, %ebx
	jz 2f
	swapgs
2:
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rbp
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rbx
	pop %rax
	add $16, %rsp			/* Vector and error code. */
	iretq

	.altmacro
.set vec, 0
.rept 256
	STUB %vec
.set vec, vec + 1
.endr

/* The stubs' addresses, for trap.c to build the IDT from. */
.macro STUB_ADDR vec
	.quad x86_64_vector_\vec
.endm
	.section .rodata
	.p2align 3
	.global x86_64_vectors
x86_64_vectors:
.set vec, 0
.rept 256
	STUB_ADDR %vec
.set vec, vec + 1
.endr

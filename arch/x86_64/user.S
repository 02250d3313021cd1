/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Entering and leaving ring 3 (Intel SDM vol 3A, 6.12.1 and 5.8.8).
 *
 * x86_64_user_enter(ctx) saves the kernel's callee-saved registers on the
 * task's stack, records that stack pointer (the way back) in this CPU's
 * area and in its TSS.RSP0 (where the CPU switches stacks on a trap from
 * ring 3), and IRETQs into the user state of ctx. IRETQ and not
 * SYSRETQ: it restores every register, and the core refuses a
 * non-canonical pc before we get here, so the SYSRET #GP-in-ring-0 hazard
 * (CVE-2012-0217) cannot arise either way.
 *
 * The way back is x86_64_user_return(reason): from the SYSCALL entry
 * below, or from trap.c for an exception in ring 3, after the user state
 * is saved into ctx. It drops whatever is on the stack above the recorded
 * pointer and returns from x86_64_user_enter with the reason. One CPU:
 * the per-CPU words are plain globals (SMP will use GS).
 */

#include "ostd/arch/x86_64_layout.h"

/* struct user_context: regs[32], pc, flags, tls (ostd/user.h). */
#define CTX_RAX (0 * 8)
#define CTX_RBX (1 * 8)
#define CTX_RCX (2 * 8)
#define CTX_RDX (3 * 8)
#define CTX_RSI (4 * 8)
#define CTX_RDI (5 * 8)
#define CTX_RBP (6 * 8)
#define CTX_RSP (7 * 8)
#define CTX_R8 (8 * 8)
#define CTX_R9 (9 * 8)
#define CTX_R10 (10 * 8)
#define CTX_R11 (11 * 8)
#define CTX_R12 (12 * 8)
#define CTX_R13 (13 * 8)
#define CTX_R14 (14 * 8)
#define CTX_R15 (15 * 8)
#define CTX_PC (32 * 8)
#define CTX_FLAGS (33 * 8)

#define USER_RETURN_SYSCALL 1

	.text
/* enum user_return_reason x86_64_user_enter(struct user_context *ctx) */
	.global x86_64_user_enter
x86_64_user_enter:
	push %rbp
	push %rbx
	push %r12
	push %r13
	push %r14
	push %r15
	/* No interrupt may see half of the switch. */
	cli
	mov %rsp, %gs:X86_CL_KERNEL_RSP
	mov %gs:X86_CL_TSS_RSP0, %rax
	mov %rsp, (%rax)
	mov %rdi, %gs:X86_CL_USER_CTX
	/* The IRETQ frame (6.14.2, Figure 6-9): SS, RSP, RFLAGS, CS, RIP. */
	pushq $USER_DS
	pushq CTX_RSP(%rdi)
	pushq CTX_FLAGS(%rdi)
	pushq $USER_CS
	pushq CTX_PC(%rdi)
	/* Data segments: the user's null-equivalent flat selector. */
	mov $USER_DS, %eax
	mov %eax, %ds
	mov %eax, %es
	mov CTX_RAX(%rdi), %rax
	mov CTX_RBX(%rdi), %rbx
	mov CTX_RCX(%rdi), %rcx
	mov CTX_RDX(%rdi), %rdx
	mov CTX_RSI(%rdi), %rsi
	mov CTX_RBP(%rdi), %rbp
	mov CTX_R8(%rdi), %r8
	mov CTX_R9(%rdi), %r9
	mov CTX_R10(%rdi), %r10
	mov CTX_R11(%rdi), %r11
	mov CTX_R12(%rdi), %r12
	mov CTX_R13(%rdi), %r13
	mov CTX_R14(%rdi), %r14
	mov CTX_R15(%rdi), %r15
	mov CTX_RDI(%rdi), %rdi
	/* Interrupts stay masked until the IRETQ, so nothing runs in ring
	 * 0 with the user's GS base. */
	swapgs
	iretq

/* NORETURN void x86_64_user_return(enum user_return_reason why) */
	.global x86_64_user_return
x86_64_user_return:
	mov %edi, %eax
	mov %gs:X86_CL_KERNEL_RSP, %rsp
	mov $KERNEL_DS, %ecx
	mov %ecx, %ds
	mov %ecx, %es
	/* A trap from ring 3 loaded a null SS (6.14.4); use ours again. */
	mov %ecx, %ss
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
	ret

/*
 * SYSCALL lands here (LSTAR, 5.8.8) in ring 0 on the user's stack, with
 * RCX = user RIP, R11 = user RFLAGS, the user's GS base, and IF, TF, DF
 * and AC cleared by SFMASK (user.c), so SMAP is closed and no interrupt
 * comes before the stack switch. An NMI, #DB or #MC can (IST gates); trap.S
 * tells which GS base it finds from the base itself.
 */
	.global x86_64_syscall_entry
x86_64_syscall_entry:
	swapgs
	mov %rsp, %gs:X86_CL_USER_RSP
	mov %gs:X86_CL_KERNEL_RSP, %rsp
	push %rdi
	mov %gs:X86_CL_USER_CTX, %rdi
	mov %rax, CTX_RAX(%rdi)
	mov %rbx, CTX_RBX(%rdi)
	mov %rcx, CTX_RCX(%rdi)
	mov %rdx, CTX_RDX(%rdi)
	mov %rsi, CTX_RSI(%rdi)
	mov %rbp, CTX_RBP(%rdi)
	mov %r8, CTX_R8(%rdi)
	mov %r9, CTX_R9(%rdi)
	mov %r10, CTX_R10(%rdi)
	mov %r11, CTX_R11(%rdi)
	mov %r12, CTX_R12(%rdi)
	mov %r13, CTX_R13(%rdi)
	mov %r14, CTX_R14(%rdi)
	mov %r15, CTX_R15(%rdi)
	pop %rax
	mov %rax, CTX_RDI(%rdi)
	mov %gs:X86_CL_USER_RSP, %rax
	mov %rax, CTX_RSP(%rdi)
	/* Resume after the SYSCALL instruction, with the flags it saved. */
	mov %rcx, CTX_PC(%rdi)
	mov %r11, CTX_FLAGS(%rdi)
	mov $USER_RETURN_SYSCALL, %edi
	jmp x86_64_user_return

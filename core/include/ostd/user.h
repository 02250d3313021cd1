/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "ostd/compiler.h"

/*
 * User mode (DESIGN.md §9): the saved user registers, and the call that
 * runs user code until it makes a system call or takes an exception.
 *
 * The kernel author's loop is
 *
 *	for (;;) {
 *		if (user_mode_execute(&ctx) == USER_RETURN_SYSCALL)
 *			serve user_context_syscall_nr(&ctx) ...
 *		else
 *			look at user_context_exception(&ctx) ...
 *	}
 *
 * A user page fault is first offered to the current space's fault handler
 * (vm_space_set_fault_handler()); only the faults it cannot resolve come
 * back as USER_RETURN_EXCEPTION. Interrupts taken in user mode are
 * handled and user code resumes, after other tasks ran if the time slice
 * was used up; they come back only as USER_RETURN_KERNEL_EVENT, when the
 * task used up its CPU-time limit (task_set_cpu_limit()).
 */

/* The general registers an ISA has, at most (x0-x31 on RISC-V). */
#define USER_CONTEXT_NR_REGS 32

enum user_return_reason {
	USER_RETURN_SYSCALL = 1,
	USER_RETURN_EXCEPTION = 2,
	/* The task's CPU-time limit ran out (task_set_cpu_limit()). */
	USER_RETURN_KERNEL_EVENT = 3,
	/*
	 * The arch's answer to an interrupt in user mode after which
	 * user_mode_should_leave() said the core wants the CPU
	 * (ostd/arch/user.h); never returned to a kernel author.
	 */
	USER_RETURN_INTERRUPT = 4,
};

enum cpu_exception_kind {
	CPU_EXC_PAGE_FAULT = 1, /* addr and access are set. */
	CPU_EXC_ILLEGAL_INSN,   /* Undefined or privileged instruction. */
	/*
	 * int3 (and int1), ebreak, brk. The pc is past the instruction on
	 * x86 (a trap) and at it on RISC-V and AArch64: a debugger that goes
	 * on moves it past the breakpoint first.
	 */
	CPU_EXC_BREAKPOINT,
	CPU_EXC_ALIGNMENT,  /* Misaligned access the CPU refuses. */
	CPU_EXC_ARITHMETIC, /* Divide error; x86 #OF (int $4). */
	CPU_EXC_GENERAL,    /* #GP and the like: a bad address or state. */
	CPU_EXC_OTHER,
};

struct cpu_exception {
	enum cpu_exception_kind kind;
	/* The arch's own number (x86 vector, scause, ESR_EL1.EC). */
	uint64_t code;
	/* The arch's detail word (x86 error code, ESR_EL1 ISS), or 0. */
	uint64_t detail;
	/* The faulting address (CR2, stval, FAR_EL1), or 0. */
	uint64_t addr;
	/* For a page fault: PROT_R, PROT_W or PROT_X (page_table.h). */
	uint32_t access;
	/* A short human name, e.g. "page fault". */
	const char *name;
};

/*
 * Saved user state. Which register regs[i] is depends on the arch (x86_64:
 * rax rbx rcx rdx rsi rdi rbp rsp r8..r15; riscv64: x0..x31; aarch64:
 * x0..x30 then sp); use the accessors below in portable code.
 */
struct user_context {
	uint64_t regs[USER_CONTEXT_NR_REGS];
	uint64_t pc;
	/* rflags / sstatus bits / SPSR_EL1: the arch keeps it user-safe. */
	uint64_t flags;
	/* The thread pointer (fs base, tp is in regs, TPIDR_EL0). */
	uint64_t tls;
	/* Valid after a USER_RETURN_EXCEPTION. */
	struct cpu_exception exc;
};

/* The Linux system call numbers of this arch that examples use. */
struct user_syscall_abi {
	uint64_t write;
	uint64_t exit;
	uint64_t exit_group;
	/*
	 * The bits of the number register Linux reads: x86_64 and arm64 take
	 * it as an int (do_syscall_64(), el0_svc_common()), so the upper half
	 * is ignored; riscv64 reads all of a7.
	 */
	uint64_t nr_mask;
};

extern const struct user_syscall_abi user_syscall_abi;

/**
 * Zeroes @p ctx and sets it up to start at @p pc with stack pointer @p sp
 * and the arch's default user flags (interrupts on).
 */
void user_context_init(struct user_context *ctx, uint64_t pc, uint64_t sp);

uint64_t user_context_pc(const struct user_context *ctx);
void user_context_set_pc(struct user_context *ctx, uint64_t pc);
uint64_t user_context_sp(const struct user_context *ctx);
void user_context_set_sp(struct user_context *ctx, uint64_t sp);

/** The system call number of the call just made (rax, a7, x8). */
uint64_t user_context_syscall_nr(const struct user_context *ctx);

/** System call argument @p i, 0 <= i < 6; other i panic. */
uint64_t user_context_syscall_arg(const struct user_context *ctx,
				  unsigned int i);

/** All six system call arguments, into @p args. */
void user_context_syscall_args(const struct user_context *ctx,
			       uint64_t args[6]);

/** Sets the value the system call returns (rax, a0, x0). */
void user_context_set_syscall_ret(struct user_context *ctx, uint64_t ret);

/**
 * Sets argument register @p i (0 <= i < 6) of the function-call ABI (rdi
 * rsi rdx rcx r8 r9; a0-a5; x0-x5), e.g. to start a thread with an
 * argument. Other i panic.
 */
void user_context_set_arg(struct user_context *ctx, unsigned int i,
			  uint64_t val);

/** The exception of the last USER_RETURN_EXCEPTION. */
const struct cpu_exception *
user_context_exception(const struct user_context *ctx);

/**
 * Runs user code from @p ctx on the space installed on this CPU
 * (vm_space_activate()) until a system call or an exception that the
 * space's fault handler did not resolve, and saves the user state back
 * into @p ctx. After a system call the pc is past the call instruction.
 *
 * A pc or stack outside user space never reaches the CPU's return path:
 * the call returns USER_RETURN_EXCEPTION (CPU_EXC_GENERAL) at once.
 *
 * Context: a task (or the boot task), interrupts in any state.
 */
enum user_return_reason user_mode_execute(struct user_context *ctx);

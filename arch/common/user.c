// SPDX-License-Identifier: MPL-2.0
/*
 * User contexts and kernel tasks for a port without user mode or task
 * switching: the host (its user copies go through its software MMU, and
 * swapcontext would confuse ThreadSanitizer). Contexts can be built and
 * read, over a neutral layout (sp in regs[31], the number in regs[8],
 * arguments and the return value from regs[0]); entering user mode or
 * switching tasks panics. A kernel port provides arch/<isa>/user.c, which
 * replaces this file, and its context switch.
 */

#include "ostd/arch/user.h"

#include "ostd/arch/task.h"

#include "ostd/assert.h"
#include "ostd/panic.h"
#include "ostd/task.h"
#include "ostd/user.h"

void arch_context_switch(uintptr_t *save_sp, uintptr_t next_sp)
{
	(void)save_sp;
	(void)next_sp;
	panic("this port has no kernel tasks");
}

uintptr_t arch_task_stack_init(uintptr_t stack_top)
{
	return stack_top;
}

enum user_return_reason arch_user_enter(struct user_context *ctx)
{
	(void)ctx;
	panic("this port has no user mode");
}

uint64_t arch_user_default_flags(void)
{
	return 0;
}

const struct user_syscall_abi user_syscall_abi = {
	.write = 64,
	.exit = 93,
	.exit_group = 94,
	.nr_mask = UINT64_MAX,
};

/* The host runs no user code; its ELF tests build EM_X86_64 images. */
const uint16_t arch_elf_machine = 62;

const struct user_regs_layout arch_user_regs = {
	.sp = 31,
	.syscall_nr = 8,
	.syscall_ret = 0,
	.syscall_args = { 0, 1, 2, 3, 4, 5 },
	.call_args = { 0, 1, 2, 3, 4, 5 },
};

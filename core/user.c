// SPDX-License-Identifier: MPL-2.0
/*
 * user_mode_execute(): the arch-neutral half of running user code. The
 * arch enters and leaves user mode; here the state it is given is checked
 * first, and user page faults are offered to the space's handler (demand
 * paging) before they reach the kernel author.
 */

#include "ostd/arch/user.h"

#include "ostd/arch/cpu.h"

#include "ostd/assert.h"
#include "ostd/internal/cpu_local.h"
#include "ostd/internal/sched.h"
#include "ostd/page_table.h"
#include "ostd/panic.h"
#include "ostd/string.h"
#include "ostd/user.h"
#include "ostd/vm_space.h"

uint64_t user_context_pc(const struct user_context *ctx)
{
	return ctx->pc;
}

void user_context_set_pc(struct user_context *ctx, uint64_t pc)
{
	ctx->pc = pc;
}

uint64_t user_context_sp(const struct user_context *ctx)
{
	return ctx->regs[arch_user_regs.sp];
}

void user_context_set_sp(struct user_context *ctx, uint64_t sp)
{
	ctx->regs[arch_user_regs.sp] = sp;
}

uint64_t user_context_syscall_nr(const struct user_context *ctx)
{
	return ctx->regs[arch_user_regs.syscall_nr];
}

uint64_t user_context_syscall_arg(const struct user_context *ctx,
				  unsigned int i)
{
	if (i >= ARRAY_SIZE(arch_user_regs.syscall_args)) {
		panic("system call argument %u does not exist", i);
	}
	return ctx->regs[arch_user_regs.syscall_args[i]];
}

void user_context_set_arg(struct user_context *ctx, unsigned int i,
			  uint64_t val)
{
	if (i >= ARRAY_SIZE(arch_user_regs.call_args)) {
		panic("argument register %u does not exist", i);
	}
	ctx->regs[arch_user_regs.call_args[i]] = val;
}

void user_context_set_syscall_ret(struct user_context *ctx, uint64_t ret)
{
	ctx->regs[arch_user_regs.syscall_ret] = ret;
}

void user_context_init(struct user_context *ctx, uint64_t pc, uint64_t sp)
{
	memset(ctx, 0, sizeof(*ctx));
	user_context_set_pc(ctx, pc);
	user_context_set_sp(ctx, sp);
	ctx->flags = arch_user_default_flags();
}

void user_context_syscall_args(const struct user_context *ctx, uint64_t args[6])
{
	for (unsigned int i = 0; i < 6; i++) {
		args[i] = user_context_syscall_arg(ctx, i);
	}
}

const struct cpu_exception *
user_context_exception(const struct user_context *ctx)
{
	return &ctx->exc;
}

/*
 * Reports a bad pc or stack as the CPU would, without entering: the
 * return path of some CPUs (x86 sysret, CVE-2012-0217) faults in kernel
 * mode on a non-canonical pc, and no CPU should be trusted with one.
 */
static enum user_return_reason refuse(struct user_context *ctx, uint64_t addr)
{
	ctx->exc = (struct cpu_exception){
		.kind = CPU_EXC_GENERAL,
		.addr = addr,
		.name = "pc or stack outside user space",
	};
	return USER_RETURN_EXCEPTION;
}

bool user_mode_should_leave(void)
{
	return task_need_resched() || task_kernel_event_pending();
}

enum user_return_reason user_mode_execute(struct user_context *ctx)
{
	/* The last fault answered as spurious: never twice in a row. */
	uint64_t spurious_va = UINT64_MAX;

	CHECK(ctx != NULL);
	for (;;) {
		uint64_t pc = user_context_pc(ctx);
		uint64_t sp = user_context_sp(ctx);

		if (pc >= MAX_USER_VADDR) {
			return refuse(ctx, pc);
		}
		/* A stack may start at the very top: pushes go below it. */
		if (sp > MAX_USER_VADDR) {
			return refuse(ctx, sp);
		}
		struct cpu_local *cl = cpu_local();

		/* User mode holds no cursor and no read side. */
		CHECK(atomic_load_explicit(&cl->preempt_count,
					   memory_order_relaxed) == 0);
		pt_rcu_note_qs(cl);
		cl->in_user = true;
		enum user_return_reason why = arch_user_enter(ctx);

		/* We may be on another CPU than the one we entered on. */
		cpu_local()->in_user = false;
		if (why == USER_RETURN_INTERRUPT) {
			if (task_kernel_event_pending()) {
				return USER_RETURN_KERNEL_EVENT;
			}
			if (task_need_resched()) {
				task_yield();
			}
			continue;
		}
		if (why != USER_RETURN_EXCEPTION ||
		    ctx->exc.kind != CPU_EXC_PAGE_FAULT) {
			return why;
		}
		struct vm_space *vs = vm_space_current();

		if (vs == NULL) {
			return why;
		}
		if (vm_space_handle_fault(vs, ctx->exc.addr,
					  ctx->exc.access == PROT_W) ==
		    OSTD_OK) {
			spurious_va = UINT64_MAX;
			continue; /* Resolved: retry the access. */
		}
		/*
		 * Refused: was the translation only stale? Asked after the
		 * handler, so that a real fault pays nothing for it.
		 */
		if (ctx->exc.addr == spurious_va ||
		    !vm_space_fault_is_spurious(vs, ctx->exc.addr,
						ctx->exc.access)) {
			return why;
		}
		spurious_va = ctx->exc.addr;
	}
}

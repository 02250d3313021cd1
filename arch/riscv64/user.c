// SPDX-License-Identifier: MPL-2.0
/*
 * The riscv64 side of struct user_context: regs[i] is x<i> (x0 always 0,
 * x2 = sp, x4 = tp), the syscall ABI of Linux riscv64 (a7 = number, a0-a5
 * = arguments, a0 = result; Linux arch/riscv/include/asm/syscall.h) and
 * its numbers (include/uapi/asm-generic/unistd.h).
 */

#include "ostd/arch/user.h"

#include <stddef.h>

#include "ostd/arch/riscv64.h"
#include "ostd/arch/riscv64_asm.h"

#include "ostd/assert.h"
#include "ostd/panic.h"
#include "ostd/user.h"

STATIC_ASSERT(offsetof(struct user_context, regs) == CTX_REG(0),
	      "trap.S addresses regs[] at the start of the context");
STATIC_ASSERT(offsetof(struct user_context, pc) == CTX_PC,
	      "trap.S must agree with struct user_context");
STATIC_ASSERT(offsetof(struct user_context, flags) == CTX_FLAGS,
	      "trap.S must agree with struct user_context");
STATIC_ASSERT(UF_SIZE % 16 == 0, "the psABI keeps sp 16-byte aligned");

#define REG_SP 2
#define REG_A0 10
#define REG_A7 17

const struct user_syscall_abi user_syscall_abi = {
	.write = 64,
	.exit = 93,
	.exit_group = 94,
	.nr_mask = UINT64_MAX,
};

/* Linux riscv64: a7 = number, a0-a5 = arguments (both ABIs), a0 = result. */
const uint16_t arch_elf_machine = ARCH_ELF_MACHINE;

const struct user_regs_layout arch_user_regs = {
	.sp = REG_SP,
	.syscall_nr = REG_A7,
	.syscall_ret = REG_A0,
	.syscall_args = { REG_A0, REG_A0 + 1, REG_A0 + 2, REG_A0 + 3,
			  REG_A0 + 4, REG_A0 + 5 },
	.call_args = { REG_A0, REG_A0 + 1, REG_A0 + 2, REG_A0 + 3, REG_A0 + 4,
		       REG_A0 + 5 },
};

uint64_t arch_user_default_flags(void)
{
	/*
	 * Informational: trap.S always enters U-mode with SPP = 0 and SPIE
	 * = 1 (Privileged Spec v1.12, 4.1.1) and never takes sstatus bits
	 * from the context, so user code cannot pick its own.
	 */
	return RISCV_SSTATUS_SPIE;
}

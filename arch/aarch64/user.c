// SPDX-License-Identifier: MPL-2.0
/*
 * User contexts on aarch64: the register accessors, the C side of
 * entering EL0 (user.S), a new task's first stack frame, and the machine
 * code the hardware-only tests run. "Arm ARM" is DDI 0487.
 */

#include "ostd/arch/user.h"

#include <stddef.h>
#include <stdint.h>

#include "ostd/arch/aarch64.h"
#include "ostd/arch/cpu.h"
#include "ostd/arch/probe.h"
#include "ostd/arch/task.h"

#include "ostd/assert.h"
#include "ostd/task.h"
#include "ostd/user.h"

/* regs[]: x0-x30, then sp (user.S's CTX_* offsets). */
#define R_X8 8
#define R_SP 31

STATIC_ASSERT(offsetof(struct user_context, regs[R_SP]) == 31 * 8,
	      "user.S's CTX_SP");
STATIC_ASSERT(offsetof(struct user_context, pc) == 32 * 8, "user.S's CTX_PC");
STATIC_ASSERT(offsetof(struct user_context, flags) == 33 * 8,
	      "user.S's CTX_FLAGS");
STATIC_ASSERT(offsetof(struct user_context, tls) == 34 * 8, "user.S's CTX_TLS");

/*
 * Linux arm64: the number in x8, arguments in x0-x5, the result in x0;
 * AAPCS64 passes function arguments in the same x0-x5.
 */
const uint16_t arch_elf_machine = ARCH_ELF_MACHINE;

const struct user_regs_layout arch_user_regs = {
	.sp = R_SP,
	.syscall_nr = R_X8,
	.syscall_ret = 0,
	.syscall_args = { 0, 1, 2, 3, 4, 5 },
	.call_args = { 0, 1, 2, 3, 4, 5 },
};

/* Linux include/uapi/asm-generic/unistd.h, which arm64 uses. */
const struct user_syscall_abi user_syscall_abi = {
	.write = 64,
	.exit = 93,
	.exit_group = 94,
	.nr_mask = 0xffffffff,
};

/*
 * SPSR_EL1 for the return to EL0 (C5.2.18 "SPSR_EL1", AArch64 state):
 * only the condition flags N, Z, C, V (bits 31:28) come from the saved
 * context. M[3:0] = 0b0000 is EL0t and D, A, I, F (bits 9:6) are 0, so
 * interrupts reach the kernel while user code runs; PAN, SS, IL and the
 * rest are 0, so no saved context can return to EL1 or set odd state.
 */
#define USER_SPSR_MASK 0xf0000000ULL

uint64_t arch_user_default_flags(void)
{
	return 0;
}

enum user_return_reason aarch64_user_enter(struct user_context *ctx);

enum user_return_reason arch_user_enter(struct user_context *ctx)
{
	unsigned long irq = arch_irq_save();

	ctx->flags &= USER_SPSR_MASK;
	enum user_return_reason why = aarch64_user_enter(ctx);

	arch_irq_restore(irq);
	return why;
}

void aarch64_task_start(void);

uintptr_t arch_task_stack_init(uintptr_t stack_top)
{
	uint64_t *sp = (uint64_t *)(stack_top & ~(uintptr_t)15);

	/*
	 * switch.S pops x29/x30 and x19-x28 from 12 words: all zero but
	 * x30, where it "returns" to.
	 */
	sp -= 12;
	for (int i = 0; i < 12; i++) {
		sp[i] = 0;
	}
	sp[1] = (uint64_t)(uintptr_t)aarch64_task_start;
	return (uintptr_t)sp;
}

/* ---------------------------------------------------------------------
 * Machine code for the hardware-only tests (A64, little-endian words;
 * C6.2 of the Arm ARM for each encoding).
 * --------------------------------------------------------------------- */

#define A64(w)                                             \
	(uint8_t)((w)&0xff), (uint8_t)(((w) >> 8) & 0xff), \
		(uint8_t)(((w) >> 16) & 0xff), (uint8_t)(((w) >> 24) & 0xff)

#define INSN_RET 0xd65f03c0U        /* ret (x30) */
#define INSN_SVC0 0xd4000001U       /* svc #0 */
#define INSN_LDRB_W8_X0 0x39400008U /* ldrb w8, [x0] */
#define INSN_STRB_W1_X0 0x39000001U /* strb w1, [x0] */
#define INSN_BR_X0 0xd61f0000U      /* br x0 */

static const uint8_t ret_bytes[] = { A64(INSN_RET) };
static const uint8_t syscall_bytes[] = { A64(INSN_SVC0) };

const struct arch_code arch_ret_insn = { ret_bytes, sizeof(ret_bytes) };
const struct arch_code arch_syscall_insn = { syscall_bytes,
					     sizeof(syscall_bytes) };

/*
 * Each: one access through x0 (argument 0), then svc. A read loads into
 * w8, so the byte comes back as the system call number.
 */
static const uint8_t probe_read[] = { A64(INSN_LDRB_W8_X0), A64(INSN_SVC0) };
static const uint8_t probe_write[] = { A64(INSN_STRB_W1_X0), A64(INSN_SVC0) };
static const uint8_t probe_exec[] = { A64(INSN_BR_X0) };

const struct arch_code arch_user_probe_codes[] = {
	[PROBE_READ] = { probe_read, sizeof(probe_read) },
	[PROBE_WRITE] = { probe_write, sizeof(probe_write) },
	[PROBE_EXEC] = { probe_exec, sizeof(probe_exec) },
};

bool arch_user_access_protected(void)
{
	return aarch64_has_pan != 0 || aarch64_uaccess_closed != 0;
}

/*
 * 1: subs x0, x0, #1; b.ne 1b; svc #0 (Arm ARM C6.2.314 SUBS (immediate),
 * C6.2.26 B.cond).
 */
#define INSN_SUBS_X0_1 0xf1000400U /* subs x0, x0, #1 */
#define INSN_BNE_BACK1 0x54ffffe1U /* b.ne .-4 */

static const uint8_t spin[] = { A64(INSN_SUBS_X0_1), A64(INSN_BNE_BACK1),
				A64(INSN_SVC0) };

struct arch_code arch_user_spin_code(void)
{
	return (struct arch_code){ spin, sizeof(spin) };
}

/*
 * mrs x8, TTBR1_EL1; svc #0 (Arm ARM C6.2 MRS). TTBR1_EL1 has no EL0
 * access: the read is UNDEFINED at EL0 (D13.2 TTBR1_EL1, its
 * accessibility pseudocode), an exception with EC 0x0 at the mrs itself.
 */
#define INSN_MRS_X8_TTBR1 0xd5382028U /* mrs x8, ttbr1_el1 */

static const uint8_t sysinfo[] = { A64(INSN_MRS_X8_TTBR1), A64(INSN_SVC0) };

struct arch_code arch_user_sysinfo_code(void)
{
	return (struct arch_code){ sysinfo, sizeof(sysinfo) };
}

/* brk #0; svc #0 (Arm ARM C6.2 BRK). */
#define INSN_BRK0 0xd4200000U /* brk #0 */

static const uint8_t breakpoint[] = { A64(INSN_BRK0), A64(INSN_SVC0) };

struct arch_code arch_user_breakpoint_code(void)
{
	return (struct arch_code){ breakpoint, sizeof(breakpoint) };
}

const unsigned int arch_breakpoint_len = 4;
/* ELR_EL1 of a Breakpoint Instruction exception is the BRK itself
 * (D1.10.1 "Preferred exception return address"). */
const unsigned int arch_breakpoint_pc_offset = 0;

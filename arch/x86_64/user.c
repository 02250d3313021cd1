// SPDX-License-Identifier: MPL-2.0
/*
 * User contexts on x86_64: the register accessors, the SYSCALL MSRs, the
 * C side of entering ring 3 (user.S), a new task's first stack frame, and
 * the machine code the hardware-only tests run. References are to the
 * Intel SDM.
 */

#include "ostd/arch/user.h"

#include <stdint.h>

#include "ostd/arch/cpu.h"
#include "ostd/arch/probe.h"
#include "ostd/arch/task.h"
#include "ostd/arch/x86_64.h"
#include "ostd/arch/x86_64_layout.h"

#include "ostd/assert.h"
#include "ostd/task.h"
#include "ostd/user.h"

/* regs[] indices (user.S's CTX_* offsets). */
enum {
	R_RAX,
	R_RBX,
	R_RCX,
	R_RDX,
	R_RSI,
	R_RDI,
	R_RBP,
	R_RSP,
	R_R8,
	R_R9,
	R_R10,
	R_R11,
};

/* Linux arch/x86/entry/syscalls/syscall_64.tbl. */
const struct user_syscall_abi user_syscall_abi = {
	.write = 1,
	.exit = 60,
	.exit_group = 231,
	.nr_mask = 0xffffffff,
};

const uint16_t arch_elf_machine = ARCH_ELF_MACHINE;

const struct user_regs_layout arch_user_regs = {
	.sp = R_RSP,
	/* SYSCALL: the number and the result in rax. */
	.syscall_nr = R_RAX,
	.syscall_ret = R_RAX,
	/* The Linux syscall ABI passes arguments 4-6 in r10, r8, r9. */
	.syscall_args = { R_RDI, R_RSI, R_RDX, R_R10, R_R8, R_R9 },
	/* The function-call ABI: rcx for the fourth (System V AMD64 3.2.3). */
	.call_args = { R_RDI, R_RSI, R_RDX, R_RCX, R_R8, R_R9 },
};
/*
 * The RFLAGS bits user code may own (vol 1, 3.4.3): the arithmetic flags,
 * DF and AC. Never IOPL, NT, VM, RF or TF from a saved context; IF is
 * always set, bit 1 is reserved as 1.
 */
#define USER_RFLAGS_MASK 0x40cd5ULL
#define RFLAGS_FIXED (X86_RFLAGS_IF | 0x2ULL)

uint64_t arch_user_default_flags(void)
{
	return RFLAGS_FIXED;
}

enum user_return_reason x86_64_user_enter(struct user_context *ctx);

enum user_return_reason arch_user_enter(struct user_context *ctx)
{
	unsigned long irq = arch_irq_save();

	ctx->flags = (ctx->flags & USER_RFLAGS_MASK) | RFLAGS_FIXED;
	enum user_return_reason why = x86_64_user_enter(ctx);

	arch_irq_restore(irq);
	return why;
}

/* 2.2.1 "Extended Feature Enable Register", 5.8.8 "Fast System Calls". */
#define MSR_EFER 0xc0000080U
#define EFER_SCE (1ULL << 0)
#define MSR_STAR 0xc0000081U
#define MSR_LSTAR 0xc0000082U
#define MSR_SFMASK 0xc0000084U
/* Cleared on SYSCALL: IF (no interrupt before the stack switch), TF,
 * DF (the ABI's direction), NT, and AC (SMAP closed in the kernel). */
#define SYSCALL_RFLAGS_CLEAR 0x44700ULL

void x86_64_syscall_entry(void);

void x86_64_syscall_init(void)
{
	/*
	 * STAR[47:32]: SYSCALL's CS (SS = CS + 8). STAR[63:48]: the base
	 * SYSRET adds 16 (CS) and 8 (SS) to, with RPL 3.
	 */
	x86_64_wrmsr(MSR_STAR,
		     ((uint64_t)KERNEL_DS << 48) | ((uint64_t)KERNEL_CS << 32));
	x86_64_wrmsr(MSR_LSTAR, (uint64_t)(uintptr_t)x86_64_syscall_entry);
	x86_64_wrmsr(MSR_SFMASK, SYSCALL_RFLAGS_CLEAR);
	x86_64_wrmsr(MSR_EFER, x86_64_rdmsr(MSR_EFER) | EFER_SCE);
}

void x86_64_task_start(void);

uintptr_t arch_task_stack_init(uintptr_t stack_top)
{
	uint64_t *sp = (uint64_t *)(stack_top & ~(uintptr_t)15);

	/* switch.S pops rbp rbx r12-r15 (all 0), then returns. */
	*--sp = (uint64_t)(uintptr_t)x86_64_task_start;
	for (int i = 0; i < 6; i++) {
		*--sp = 0;
	}
	return (uintptr_t)sp;
}

/* ---------------------------------------------------------------------
 * Machine code for the hardware-only tests.
 * --------------------------------------------------------------------- */

static const uint8_t ret_bytes[] = { 0xc3 };           /* ret */
static const uint8_t syscall_bytes[] = { 0x0f, 0x05 }; /* syscall */

const struct arch_code arch_ret_insn = { ret_bytes, sizeof(ret_bytes) };
const struct arch_code arch_syscall_insn = { syscall_bytes,
					     sizeof(syscall_bytes) };

/* Each: one access through rdi (argument 0), then SYSCALL. */
static const uint8_t probe_read[] = { 0x8a, 0x07, 0x0f,
				      0x05 }; /* mov (%rdi),%al */
static const uint8_t probe_write[] = { 0x40, 0x88, 0x37, 0x0f,
				       0x05 };      /* mov %sil,(%rdi) */
static const uint8_t probe_exec[] = { 0xff, 0xe7 }; /* jmp *%rdi */

const struct arch_code arch_user_probe_codes[] = {
	[PROBE_READ] = { probe_read, sizeof(probe_read) },
	[PROBE_WRITE] = { probe_write, sizeof(probe_write) },
	[PROBE_EXEC] = { probe_exec, sizeof(probe_exec) },
};

/* sidt (%rdi); syscall (vol 2B, SIDT: #GP(0) at CPL > 0 with CR4.UMIP). */
static const uint8_t sysinfo[] = { 0x0f, 0x01, 0x0f, 0x0f, 0x05 };

struct arch_code arch_user_sysinfo_code(void)
{
	return (struct arch_code){ sysinfo, sizeof(sysinfo) };
}

/* int3; syscall (vol 2A, INT3: the one-byte 0xcc). */
static const uint8_t breakpoint[] = { 0xcc, 0x0f, 0x05 };

struct arch_code arch_user_breakpoint_code(void)
{
	return (struct arch_code){ breakpoint, sizeof(breakpoint) };
}

const unsigned int arch_breakpoint_len = 1;
/* #BP is a trap (vol 3A, 6.5 and Table 6-1): RIP is past the INT3. */
const unsigned int arch_breakpoint_pc_offset = 1;

bool arch_user_access_protected(void)
{
	return x86_64_has_smap != 0;
}

/* mov %rdi,%rcx; 1: dec %rcx; jnz 1b; syscall (SDM vol 2: MOV, DEC, Jcc). */
static const uint8_t spin[] = { 0x48, 0x89, 0xf9, 0x48, 0xff,
				0xc9, 0x75, 0xfb, 0x0f, 0x05 };

struct arch_code arch_user_spin_code(void)
{
	return (struct arch_code){ spin, sizeof(spin) };
}

/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/*
 * Probes for the tests only real hardware can run (test/unit/hw_test.c):
 * single accesses with exception-table entries, so that a fault is
 * observed instead of fatal. Unlike the fallible copies they do NOT open
 * user access (SMAP, SUM, PAN stay closed): a probe of a user address is
 * exactly the raw kernel dereference those features must stop.
 */

enum probe_access {
	PROBE_READ,
	PROBE_WRITE,
	PROBE_EXEC,
};

/** Loads the byte at @p va into *@p out. False if it faulted. */
bool arch_probe_read(uintptr_t va, uint8_t *out);

/** Stores @p val at @p va. False if it faulted. */
bool arch_probe_write(uintptr_t va, uint8_t val);

/**
 * Calls @p va, which must hold arch_ret_insn (a bare return). False if
 * the fetch faulted. The core's (core/probe.c), over the arch's trap
 * handler, which calls probe_exec_fault().
 */
bool arch_probe_exec(uintptr_t va);

/**
 * For the arch's kernel fault handler: true if a kernel instruction fetch
 * fault at @p pc is arch_probe_exec()'s call of its target (which is then
 * reported as faulted). The handler resumes at the call's return address,
 * as the probed return would have.
 */
bool probe_exec_fault(uintptr_t pc);

/* Machine code: a bare function return, and a bare system call. */
struct arch_code {
	const uint8_t *bytes;
	unsigned int len;
};

extern const struct arch_code arch_ret_insn;
extern const struct arch_code arch_syscall_insn;

/* The arch's probe code, indexed by enum probe_access. */
extern const struct arch_code arch_user_probe_codes[PROBE_EXEC + 1];

/**
 * User code that makes access @p kind to the address in argument register
 * 0 (user_context_set_arg(ctx, 0, va)) and then makes a system call.
 * PROBE_READ loads the byte into the system-call-number register (so
 * user_context_syscall_nr() & 0xff is the byte read); PROBE_WRITE stores
 * the low byte of argument register 1; PROBE_EXEC jumps to the address,
 * where the test put arch_syscall_insn. Position independent.
 */
static inline struct arch_code arch_user_probe_code(enum probe_access kind)
{
	return arch_user_probe_codes[kind];
}

/**
 * User code that counts argument register 0 down to zero and then makes a
 * system call, for a test that takes interrupts in user mode. Position
 * independent.
 */
struct arch_code arch_user_spin_code(void);

/**
 * User code that reads CPU state user mode must not see, then makes a
 * system call: x86_64 SIDT into the address in argument register 0
 * (descriptor-table addresses; UMIP makes it #GP), riscv64 csrr of satp
 * (the root table; an S-mode CSR, illegal in U-mode), aarch64 mrs of
 * TTBR1_EL1 (the kernel's root table; UNDEFINED at EL0). The read must
 * trap at its first instruction. Position independent.
 */
struct arch_code arch_user_sysinfo_code(void);

/**
 * User code that executes the arch's breakpoint instruction (int3,
 * ebreak, brk), arch_breakpoint_len bytes long at the code's start, then
 * makes a system call. Position independent.
 */
struct arch_code arch_user_breakpoint_code(void);

extern const unsigned int arch_breakpoint_len;

/*
 * Where user_context_pc() stands after a CPU_EXC_BREAKPOINT, relative to
 * the breakpoint instruction: 0 where the CPU reports the instruction
 * itself (ebreak, brk), arch_breakpoint_len where it reports the next one
 * (int3 is a trap, Intel SDM vol 3A 6.5). A debugger that goes on sets
 * the pc past the breakpoint.
 */
extern const unsigned int arch_breakpoint_pc_offset;

/** True if this CPU stops raw kernel access to user pages (SMAP etc.). */
bool arch_user_access_protected(void);

/*
 * The hardware tests also map scratch kernel pages at
 * arch_unmapped_test_addr() + 2 MiB and up (and unmap them again): a port
 * must leave [arch_unmapped_test_addr(), + 1 GiB) unmapped in the kernel
 * half, and keep its format's software MMU (arch/host/sim_mmu_*.c) true
 * to how it programs the MMU, since the tests compare the two.
 */

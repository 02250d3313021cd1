/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/* The user-mode contract behind user_mode_execute() (arch/<isa>/). */

#include <stdbool.h>
#include <stdint.h>

#include "ostd/user.h"

/**
 * Enters user mode with @p ctx and comes back on a system call
 * (USER_RETURN_SYSCALL, pc advanced past it), an exception
 * (USER_RETURN_EXCEPTION, ctx->exc filled in), or an interrupt taken in
 * user mode after which user_mode_should_leave() returned true
 * (USER_RETURN_INTERRUPT, ctx holds the interrupted state; entering with
 * it again resumes the program). After any other interrupt in user mode
 * the hook resumes the program itself.
 *
 * Context: a task, the user space installed (vm_space_activate()).
 * Preconditions: the core has checked that pc and sp are user addresses;
 * the hook clears every privileged state bit the context could carry
 * (flags masked to arch_user_default_flags()' allowed set).
 */
enum user_return_reason arch_user_enter(struct user_context *ctx);

/**
 * Asked by the arch's trap code after it handled an interrupt taken in
 * user mode, interrupts still masked: true if the core wants the CPU back
 * (time slice over, or a kernel event), so arch_user_enter() must return
 * USER_RETURN_INTERRUPT instead of resuming the program.
 */
bool user_mode_should_leave(void);

/** The arch's default user flags for user_context_init(). */
uint64_t arch_user_default_flags(void);

/*
 * Where the arch keeps each register the accessors reach, as indices into
 * user_context.regs[] (core/user.c implements the accessors over it).
 */
struct user_regs_layout {
	uint8_t sp;
	uint8_t syscall_nr;
	uint8_t syscall_ret;
	/* The Linux system call ABI's six argument registers. */
	uint8_t syscall_args[6];
	/* The function-call ABI's first six argument registers. */
	uint8_t call_args[6];
};

extern const struct user_regs_layout arch_user_regs;

/** The e_machine elf_parse() accepts: the arch header's ARCH_ELF_MACHINE. */
extern const uint16_t arch_elf_machine;

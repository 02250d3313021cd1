// SPDX-License-Identifier: MPL-2.0
// ostd-driver: CONFIG_EXIT_SEMIHOSTING
/*
 * Arm semihosting SYS_EXIT (Arm "Semihosting for AArch32 and AArch64",
 * 2020Q4, sections "The semihosting interface" and "SYS_EXIT (0x18)").
 * On AArch64 the trap is `hlt #0xf000`, w0 holds the operation and x1
 * points to a block of two 64-bit words, {reason, subcode}; with reason
 * ADP_Stopped_ApplicationExit the subcode is the exit status, and QEMU
 * exits with it.
 *
 * QEMU only services the trap when started with -semihosting. Otherwise
 * `hlt` is an undefined instruction: the exception fixup (ostd/arch/
 * aarch64.h) resumes after it and we return, so the board tries its next
 * exit device. That probe is the only way to tell: nothing in the device
 * tree says whether semihosting is on.
 */

#include <stdint.h>

#include "ostd/arch/aarch64.h"

#include "ostd/drivers/exit.h"

#define SYS_EXIT 0x18
#define ADP_STOPPED_APPLICATION_EXIT 0x20026

void exit_semihosting(int status)
{
	/* QEMU reads the block from guest memory: keep it in memory. */
	volatile uint64_t block[2] = {
		ADP_STOPPED_APPLICATION_EXIT,
		(uint64_t)(int64_t)status,
	};
	register uint64_t op __asm__("x0") = SYS_EXIT;
	register uint64_t arg __asm__("x1") = (uint64_t)(uintptr_t)block;

	__asm__ volatile("1:\thlt #0xf000\n"
			 "2:\n" AARCH64_EXTABLE("1b", "2b")
			 : "+r"(op)
			 : "r"(arg)
			 : "memory");
}

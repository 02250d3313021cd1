// SPDX-License-Identifier: MPL-2.0
/*
 * Arm semihosting SYS_EXIT (Arm "Semihosting for AArch32 and AArch64",
 * 2020Q4, sections "The semihosting interface" and "SYS_EXIT (0x18)").
 * On AArch64 the trap is `hlt #0xf000`, w0 holds the operation and x1
 * points to a block of two 64-bit words, {reason, subcode}; with reason
 * ADP_Stopped_ApplicationExit the subcode is the exit status, and QEMU
 * exits with it.
 *
 * RISC-V semihosting (riscv-non-isa/riscv-semihosting, "Binary
 * Interface") is the same on RV64, with a0 and a1, and traps with an
 * uncompressed `slli zero, zero, 0x1f; ebreak; srai zero, zero, 7` in one
 * page (.balign 16), which QEMU 7.2 also takes from S-mode (target/riscv/
 * insn_trans/trans_privileged.c.inc, trans_ebreak()).
 *
 * QEMU only services the trap when started with -semihosting. Otherwise
 * `hlt` is an undefined instruction and `ebreak` a breakpoint: the
 * exception fixup (ostd/arch/<arch>.h) resumes after it and we return, so
 * the board tries its next exit device. That probe is the only way to
 * tell: nothing in the device tree says whether semihosting is on.
 */

#include <stdint.h>

#include "ostd/config.h"
#include "ostd/drivers/exit.h"

#if CONFIG_ARCH_RISCV64
#include "ostd/arch/riscv64.h"
#define SEMIHOST_OP "a0"
#define SEMIHOST_ARG "a1"
#define SEMIHOST_TRAP                                                 \
	".balign 16\n.option push\n.option norvc\n"                   \
	"slli zero, zero, 0x1f\n1:\tebreak\nsrai zero, zero, 7\n2:\n" \
	".option pop\n" RISCV_EXTABLE("1b", "2b")
#else
#include "ostd/arch/aarch64.h"
#define SEMIHOST_OP "x0"
#define SEMIHOST_ARG "x1"
#define SEMIHOST_TRAP "1:\thlt #0xf000\n2:\n" AARCH64_EXTABLE("1b", "2b")
#endif

#define SYS_EXIT 0x18
#define ADP_STOPPED_APPLICATION_EXIT 0x20026

void exit_semihosting(int status)
{
	/* QEMU reads the block from guest memory: keep it in memory. */
	volatile uint64_t block[2] = {
		ADP_STOPPED_APPLICATION_EXIT,
		(uint64_t)(int64_t)status,
	};
	register uint64_t op __asm__(SEMIHOST_OP) = SYS_EXIT;
	register uint64_t arg __asm__(SEMIHOST_ARG) =
		(uint64_t)(uintptr_t)block;

	__asm__ volatile(SEMIHOST_TRAP : "+r"(op) : "r"(arg) : "memory");
}

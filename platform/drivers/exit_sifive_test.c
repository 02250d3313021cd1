// SPDX-License-Identifier: MPL-2.0
/*
 * The SiFive test finisher (QEMU hw/misc/sifive_test.c): a 32-bit register
 * whose low 16 bits select the action. 0x5555 (PASS) exits QEMU with 0;
 * 0x3333 (FAIL) exits with the code in bits [31:16].
 */

#include "ostd/drivers/exit.h"

#define FINISHER_FAIL 0x3333U
#define FINISHER_PASS 0x5555U
#define FINISHER_CODE_MAX 0xffff

void exit_sifive_test(uintptr_t base, int status)
{
	uint32_t v = FINISHER_PASS;

	if (status != 0) {
		/* Keep a failure a failure: never let it truncate to 0. */
		if (status < 0 || status > FINISHER_CODE_MAX) {
			status = FINISHER_CODE_MAX;
		}
		v = (uint32_t)status << 16 | FINISHER_FAIL;
	}
	/*
	 * Let every earlier access, console output included, complete before
	 * the machine stops (RISC-V Unprivileged Spec 20191213, 2.7
	 * "Memory Ordering Instructions": FENCE with IORW predecessor and
	 * successor sets orders device I/O as well as memory).
	 */
	__asm__ volatile("fence iorw, iorw" : : : "memory");
	*(volatile uint32_t *)base = v;
}

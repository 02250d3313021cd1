/* SPDX-License-Identifier: MPL-2.0 */
/*
 * INT3 from ring 3: the IDT gate for #BP has DPL 3 (trap.c), so the CPU
 * delivers a breakpoint, not #GP (Intel SDM vol 3A, 6.12.1.1). The
 * example kernel has no debugger: it reports "#BP breakpoint" and ends
 * the program with status 139.
 */
	.text
	.global _start
_start:
	int3
	mov $60, %eax			/* exit(0): not reached */
	xor %edi, %edi
	syscall

/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Passes write() a kernel buffer: the kernel's VmReader refuses it, the
 * call returns -14 (EFAULT), and the program exits with it negated: 14.
 */
	.text
	.global _start
_start:
	mov	x8, #64				/* write(1, kernel address, 16) */
	mov	x0, #1
	movz	x1, #0xffff, lsl #48		/* 0xffffffff80080000 */
	movk	x1, #0xffff, lsl #32
	movk	x1, #0x8008, lsl #16
	mov	x2, #16
	svc	#0
	neg	x0, x0
	mov	x8, #93				/* exit(14) */
	svc	#0
	udf	#0

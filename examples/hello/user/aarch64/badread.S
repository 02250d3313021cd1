/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Reads kernel memory (the image, at its link address): must fault and end
 * with status 139, never print.
 */
	.text
	.global _start
_start:
	movz	x0, #0xffff, lsl #48		/* 0xffffffff80080000 */
	movk	x0, #0xffff, lsl #32
	movk	x0, #0x8008, lsl #16
	ldr	x0, [x0]
	mov	x8, #64				/* write: not reached */
	mov	x0, #1
	adr	x1, msg
	mov	x2, #(msg_end - msg)
	svc	#0
	mov	x8, #93
	mov	x0, #0
	svc	#0

	.section .rodata
msg:
	.ascii	"read kernel memory!\n"
msg_end:

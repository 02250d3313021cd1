/* SPDX-License-Identifier: MPL-2.0 */
/*
 * The bundled user program: write(1, msg, len); exit(0). Linux aarch64 ABI
 * (include/uapi/asm-generic/unistd.h): the number in x8, arguments in
 * x0-x5, `svc #0`.
 */
	.text
	.global _start
_start:
	mov	x8, #64				/* write */
	mov	x0, #1
	adr	x1, msg
	mov	x2, #(msg_end - msg)
	svc	#0
	mov	x8, #93				/* exit */
	mov	x0, #0
	svc	#0
	udf	#0

	.section .rodata
msg:
	.ascii	"Hello, world!\n"
msg_end:

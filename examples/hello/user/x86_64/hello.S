/* SPDX-License-Identifier: MPL-2.0 */
/* The bundled user program: write(1, msg, len); exit(0). Linux x86_64 ABI. */
	.text
	.global _start
_start:
	mov $1, %eax			/* write */
	mov $1, %edi
	lea msg(%rip), %rsi
	mov $(msg_end - msg), %edx
	syscall
	mov $60, %eax			/* exit */
	xor %edi, %edi
	syscall
	ud2

	.section .rodata
msg:
	.ascii "Hello, world!\n"
msg_end:

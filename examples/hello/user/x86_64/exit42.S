/* SPDX-License-Identifier: MPL-2.0 */
/* Exits with status 42: `./ostd run --user` must return it. */
	.text
	.global _start
_start:
	mov $60, %eax			/* exit */
	mov $42, %edi
	syscall
	ud2

/* SPDX-License-Identifier: MPL-2.0 */
/* Exits with status 42: `./ostd run --user` must return it. */
	.text
	.global _start
_start:
	mov	x8, #93				/* exit */
	mov	x0, #42
	svc	#0
	udf	#0

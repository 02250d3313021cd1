/* SPDX-License-Identifier: MPL-2.0 */
/*
 * aarch64_replace_ttbr1(x0 = new TTBR1_EL1, x1 = a TTBR1_EL1 value whose
 * table is all invalid). Called at its physical address through boot.S's
 * identity map (kernel_pt.c), so it touches nothing in the upper half, not
 * even the stack, while the upper half is being replaced.
 *
 * Break-before-make for a whole half (Arm ARM DDI 0487, D5.10.1 "General
 * TLB maintenance requirements" and D5.10.3 "TLB conflict aborts"): first
 * an empty table, whose walks can allocate nothing; TLBI VMALLE1 drops
 * every old entry, DSB NSH waits for that, ISB makes later fetches see it;
 * only then the new table. This is Linux's cpu_replace_ttbr1() sequence.
 */
	.text
	.balign	4
	.global aarch64_replace_ttbr1
aarch64_replace_ttbr1:
	msr	ttbr1_el1, x1
	isb
	tlbi	vmalle1
	dsb	nsh
	isb
	msr	ttbr1_el1, x0
	isb
	ret

/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/*
 * x86_64 4-level paging entries (Intel SDM vol 3A, 4.5 "4-Level Paging and
 * 5-Level Paging", Tables 4-15 to 4-20). Pure constants: the host build
 * includes this for the codec and the software MMU.
 *
 *   63  62..59  58..52  51........12  11..9  8  7    6  5  4   3   2   1  0
 *  +--+-------+-------+-------------+------+--+----+--+--+---+---+---+---+--+
 *  |XD| PKEY  | ignrd |  address    | AVL  |G |PS/ |D |A |PCD|PWT|U/S|R/W|P |
 *  |  |       |       | (bit 12 is  |      |  |PAT |  |  |   |   |   |   |  |
 *  |  |       |       | PAT in huge)|      |  |    |  |  |   |   |   |   |  |
 *  +--+-------+-------+-------------+------+--+----+--+--+---+---+---+---+--+
 */

#define X86_PTE_P (1ULL << 0)   /* Present. Table 4-15..4-20. */
#define X86_PTE_RW (1ULL << 1)  /* Writes allowed (4.6.1). */
#define X86_PTE_US (1ULL << 2)  /* User-mode accesses allowed (4.6.1). */
#define X86_PTE_PWT (1ULL << 3) /* Page-level write-through (4.9.2). */
#define X86_PTE_PCD (1ULL << 4) /* Page-level cache disable (4.9.2). */
#define X86_PTE_A (1ULL << 5)   /* Accessed (4.8). */
#define X86_PTE_D (1ULL << 6)   /* Dirty, leaves only (4.8). */
/* Page size: in a PDPTE or PDE, the entry maps a 1 GiB / 2 MiB page. */
#define X86_PTE_PS (1ULL << 7)
/* In a 4 KiB PTE, bit 7 is the PAT bit instead (Table 4-20). */
#define X86_PTE_PAT_4K (1ULL << 7)
#define X86_PTE_G (1ULL << 8) /* Global, leaves only (4.10.2.4). */
/* Bits 9-11 are ignored by the CPU: software bits (Table 4-20). */
#define X86_PTE_AVAIL1 (1ULL << 9)
#define X86_PTE_AVAIL2 (1ULL << 10)
/* In a 1 GiB / 2 MiB leaf, bit 12 is the PAT bit (Tables 4-16, 4-18). */
#define X86_PTE_PAT_HUGE (1ULL << 12)
#define X86_PTE_XD (1ULL << 63) /* Execute-disable, if EFER.NXE (4.6.2). */

/* The address field: bits 12..51 (MAXPHYADDR is at most 52, 4.1.4). */
#define X86_PA_BITS 52
#define X86_PTE_ADDR_MASK (((1ULL << X86_PA_BITS) - 1) & ~0xfffULL)

/*
 * The PAT layout OSTD-C programs into IA32_PAT (SDM vol 3A, 12.12.2
 * "IA32_PAT MSR", Table 12-10 memory types): the index is PAT:PCD:PWT.
 *
 *   index  0   1   2    3   4   5   6    7
 *   type   WB  WT  UC-  UC  WC  WP  UC-  UC
 *
 * Entries 0-3 keep the power-on default, so tables built before the MSR is
 * written mean the same; WC sits at index 4 (PAT bit set).
 */
#define X86_PAT_WB 0x06ULL
#define X86_PAT_WT 0x04ULL
#define X86_PAT_UC_MINUS 0x07ULL
#define X86_PAT_UC 0x00ULL
#define X86_PAT_WC 0x01ULL
#define X86_PAT_WP 0x05ULL
#define X86_PAT_MSR_VALUE                                         \
	(X86_PAT_WB | X86_PAT_WT << 8 | X86_PAT_UC_MINUS << 16 |  \
	 X86_PAT_UC << 24 | X86_PAT_WC << 32 | X86_PAT_WP << 40 | \
	 X86_PAT_UC_MINUS << 48 | X86_PAT_UC << 56)

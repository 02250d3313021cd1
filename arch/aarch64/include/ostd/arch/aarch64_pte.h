/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/*
 * AArch64 VMSAv8-64 stage 1 translation table descriptors, 4 KiB granule,
 * 48-bit VA, EL1&0 regime: manual facts only. The policy (which PROT_ flag
 * becomes which bit) is in arch/aarch64/pt_format.c.
 *
 * "Arm ARM" is DDI 0487. Its section numbers move between revisions, so
 * sections are cited by name, with the chapter of G.b (D5) and of I.a and
 * later (D8):
 *   - D5.3 / D8.3 "VMSAv8-64 translation table format descriptors" (later
 *     "Translation table descriptor formats"): the layouts below, with the
 *     subsections "Attribute fields in stage 1 VMSAv8-64 Block and Page
 *     descriptors", "Next-level attributes in stage 1 VMSAv8-64 Table
 *     descriptors" and "Other fields in the VMSAv8-64 translation table
 *     format descriptors";
 *   - D5.4 / D8.4 "Memory access control": AP, UXN, PXN, the table limits;
 *   - "Memory region attributes" (D5.5 in G.b): AttrIndx, SH and MAIR.
 *
 * The Arm ARM numbers lookup levels from the root: Arm level 0 (512 GiB per
 * entry) down to Arm level 3 (4 KiB pages). OSTD counts from the leaf, so
 * Arm level N is OSTD level 4 - N. Only comments use the Arm numbers.
 *
 * Table descriptor, OSTD levels 4, 3, 2 (Arm 0, 1, 2), bits[1:0] = 0b11:
 *
 *  63  62:61   60   59   58:52   51:48 47..............12 11:2    1 0
 * +---+-------+----+----+-------+-----+------------------+-------+-+-+
 * |NST|APTable|UXNT|PXNT|ignored| RES0|next table address|ignored|1|1|
 * +---+-------+----+----+-------+-----+------------------+-------+-+-+
 *
 * Block descriptor, OSTD levels 3, 2 (Arm 1, 2), bits[1:0] = 0b01, and page
 * descriptor, OSTD level 1 (Arm 3), bits[1:0] = 0b11:
 *
 *  63 62:59 58:55 54  53  52  51  50:48 47......12 11 10 9:8 7:6 5  4:2  1 0
 * +--+-----+-----+---+---+---+---+-----+----------+--+--+---+---+--+----+-+-+
 * |ig| PBHA|  SW |UXN|PXN|Con|DBM| RES0| out addr |nG|AF| SH| AP|NS|Attr|t|1|
 * +--+-----+-----+---+---+---+---+-----+----------+--+--+---+---+--+----+-+-+
 *
 * (t = 0 in a block, 1 in a page; Attr = AttrIndx[2:0].)
 *
 * In a block the output address bits below the block size (20:12 for 2 MiB,
 * 29:12 for 1 GiB) are RES0. With the 4 KiB granule an Arm level 0 entry
 * cannot be a block, and bits[1:0] = 0b01 at Arm level 3 is "Reserved,
 * invalid": both fault like an invalid descriptor (D5.3.1 / D5.3.2, and the
 * AArch64.TranslationTableWalk() pseudocode).
 *
 * Pure constants, also usable from assembly: the host compiles this for the
 * codec test and the software MMU (arch/host/sim_mmu_aarch64.c). The inline
 * assembly helpers stay in ostd/arch/aarch64.h; do not include it here.
 */

#ifdef __ASSEMBLER__
#define AARCH64_PTE_C(x) x
#else
#define AARCH64_PTE_C(x) x##ULL
#endif

/* Bit 0: valid. An invalid descriptor makes the walk Translation fault. */
#define AARCH64_PTE_VALID (AARCH64_PTE_C(1) << 0)
/*
 * Bit 1: table (Arm levels 0-2) or page (Arm level 3) when 1, block (Arm
 * levels 1-2) when 0.
 */
#define AARCH64_PTE_TABLE (AARCH64_PTE_C(1) << 1)
#define AARCH64_PTE_PAGE (AARCH64_PTE_C(1) << 1)
#define AARCH64_PTE_TYPE_MASK (AARCH64_PTE_C(3) << 0)
#define AARCH64_PTE_TYPE_BLOCK AARCH64_PTE_C(1)
#define AARCH64_PTE_TYPE_TABLE AARCH64_PTE_C(3)
#define AARCH64_PTE_TYPE_PAGE AARCH64_PTE_C(3)

/*
 * --- Lower attributes of a block or page ("Attribute fields in stage 1
 * VMSAv8-64 Block and Page descriptors"). ---
 */

/* AttrIndx[2:0], bits 4:2: which byte of MAIR_EL1 gives the memory type. */
#define AARCH64_PTE_ATTRINDX_SHIFT 2
#define AARCH64_PTE_ATTRINDX_MASK (AARCH64_PTE_C(7) << 2)
#define AARCH64_PTE_ATTRINDX(i) (AARCH64_PTE_C(i) << 2)
/* NS, bit 5: only meaningful for accesses from Secure state. Always 0. */
#define AARCH64_PTE_NS (AARCH64_PTE_C(1) << 5)
/*
 * AP[2:1], bits 7:6 (D5.4 / D8.4, "The AP[2:1] data access permissions, for
 * stage 1 translations"). AP[1] lets EL0 access the page; AP[2] makes it
 * read-only at every EL. There is no AP[0] and no "no read" setting:
 *
 *   AP[2:1]   EL1          EL0
 *   00        read/write   none
 *   01        read/write   read/write
 *   10        read-only    none
 *   11        read-only    read-only
 */
#define AARCH64_PTE_AP_EL0 (AARCH64_PTE_C(1) << 6) /* AP[1] */
#define AARCH64_PTE_AP_RO (AARCH64_PTE_C(1) << 7)  /* AP[2] */
#define AARCH64_PTE_AP_MASK (AARCH64_PTE_C(3) << 6)
/*
 * SH[1:0], bits 9:8 ("Memory region attributes", "Shareable Normal
 * memory"): 0b11 is Inner Shareable. Device and Normal Non-cacheable memory
 * are always treated as Outer Shareable, whatever SH says.
 */
#define AARCH64_PTE_SH_SHIFT 8
#define AARCH64_PTE_SH_MASK (AARCH64_PTE_C(3) << 8)
#define AARCH64_PTE_SH_INNER (AARCH64_PTE_C(3) << 8)
/*
 * AF, bit 10 (D5.4 / D8.4, "The Access flag"). Without hardware Access flag
 * management (FEAT_HAFDBS, absent on Cortex-A72) a walk that reaches a
 * block or page with AF = 0 takes an Access flag fault.
 */
#define AARCH64_PTE_AF (AARCH64_PTE_C(1) << 10)
/* nG, bit 11: not global; the TLB tags the entry with the current ASID. */
#define AARCH64_PTE_NG (AARCH64_PTE_C(1) << 11)

/* Output address bits 47:12 (table: the next table's address). */
#define AARCH64_PA_BITS 48
#define AARCH64_PTE_ADDR_MASK                                         \
	(((AARCH64_PTE_C(1) << AARCH64_PA_BITS) - AARCH64_PTE_C(1)) & \
	 ~AARCH64_PTE_C(0xfff))

/*
 * --- Upper attributes of a block or page. ---
 */

/*
 * Bits 50:48 are RES0 on Armv8.0 (FEAT_BTI later puts GP at 50), and bit
 * 51 is RES0 without FEAT_HAFDBS, where it becomes DBM (dirty bit
 * modifier). Cortex-A72 has neither, so all four are written as 0.
 */
#define AARCH64_PTE_DBM (AARCH64_PTE_C(1) << 51)
#define AARCH64_PTE_LEAF_RES0_HIGH (AARCH64_PTE_C(0xf) << 48)
/* Contiguous, bit 52: a TLB hint over 16 aligned entries. Never set. */
#define AARCH64_PTE_CONT (AARCH64_PTE_C(1) << 52)
/*
 * PXN, bit 53, and UXN, bit 54 (D5.4 / D8.4, "Access permissions for
 * instruction execution"): no instruction fetch at EL1 / at EL0.
 */
#define AARCH64_PTE_PXN (AARCH64_PTE_C(1) << 53)
#define AARCH64_PTE_UXN (AARCH64_PTE_C(1) << 54)
/*
 * Bits 58:55 are "reserved for software use" and IGNORED by the hardware
 * ("Other fields in the VMSAv8-64 translation table format descriptors").
 */
#define AARCH64_PTE_SW0 (AARCH64_PTE_C(1) << 55)
#define AARCH64_PTE_SW1 (AARCH64_PTE_C(1) << 56)
#define AARCH64_PTE_SW2 (AARCH64_PTE_C(1) << 57)
#define AARCH64_PTE_SW3 (AARCH64_PTE_C(1) << 58)
/* Bits 62:59 (PBHA with FEAT_HPDS2) and 63 are IGNORED. */

/*
 * --- Table descriptor limits ("Next-level attributes in stage 1 VMSAv8-64
 * Table descriptors"; D5.4 / D8.4 "Hierarchical control of data access
 * permissions" and "Hierarchical control of instruction fetching"). Each
 * only restricts the levels below; 0 means no restriction. ---
 */

#define AARCH64_PTE_PXN_TABLE (AARCH64_PTE_C(1) << 59)
#define AARCH64_PTE_UXN_TABLE (AARCH64_PTE_C(1) << 60)
/* APTable[0]: no EL0 access below. APTable[1]: no write access below. */
#define AARCH64_PTE_AP_TABLE_NO_EL0 (AARCH64_PTE_C(1) << 61)
#define AARCH64_PTE_AP_TABLE_RO (AARCH64_PTE_C(1) << 62)
/* NSTable: RES0 and ignored for accesses from Non-secure state. */
#define AARCH64_PTE_NS_TABLE (AARCH64_PTE_C(1) << 63)
/* Bits 51:48 of a table descriptor are RES0 with a 48-bit output size. */
#define AARCH64_PTE_TABLE_RES0 (AARCH64_PTE_C(0xf) << 48)

/*
 * --- MAIR_EL1 (register description "MAIR_EL1, Memory Attribute
 * Indirection Register (EL1)"; "Memory region attributes"). ---
 *
 * The layout OSTD-C programs; AttrIndx selects a byte. Each byte is
 * Attr<7:4> outer, Attr<3:0> inner policy for Normal memory, or 0b0000dd00
 * for Device memory:
 *   Attr0 0xff  Normal, Write-Back non-transient, read/write-allocate
 *   Attr1 0xbb  Normal, Write-Through non-transient, read/write-allocate
 *   Attr2 0x44  Normal, Non-cacheable (writes may merge: write-combine)
 *   Attr3 0x00  Device-nGnRnE (strongly ordered MMIO)
 *   Attr4-7     0x00, Device-nGnRnE as well; never referenced.
 */
#define AARCH64_MAIR_IDX_WB 0
#define AARCH64_MAIR_IDX_WT 1
#define AARCH64_MAIR_IDX_NC 2
#define AARCH64_MAIR_IDX_DEVICE 3
#define AARCH64_MAIR_ATTR_WB AARCH64_PTE_C(0xff)
#define AARCH64_MAIR_ATTR_WT AARCH64_PTE_C(0xbb)
#define AARCH64_MAIR_ATTR_NC AARCH64_PTE_C(0x44)
#define AARCH64_MAIR_ATTR_DEVICE_NGNRNE AARCH64_PTE_C(0x00)
#define AARCH64_MAIR_VALUE                                   \
	(AARCH64_MAIR_ATTR_WB << (8 * AARCH64_MAIR_IDX_WB) | \
	 AARCH64_MAIR_ATTR_WT << (8 * AARCH64_MAIR_IDX_WT) | \
	 AARCH64_MAIR_ATTR_NC << (8 * AARCH64_MAIR_IDX_NC) | \
	 AARCH64_MAIR_ATTR_DEVICE_NGNRNE << (8 * AARCH64_MAIR_IDX_DEVICE))

#ifndef __ASSEMBLER__

#include "ostd/pt_config.h"

/*
 * The codec objects of arch/aarch64/pt_format.c. The host test binary links
 * them too, next to the other ports' formats.
 */
extern const struct pt_config aarch64_user_config;
extern const struct pt_config aarch64_kernel_config;

#endif /* !__ASSEMBLER__ */

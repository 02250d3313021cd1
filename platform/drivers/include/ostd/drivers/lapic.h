/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/*
 * Puts this CPU's local APIC in virtual-wire mode (lapic.c): LINT0 takes
 * the 8259's INTR as ExtINT, LINT1 takes NMI. Call before pc_timer_init()
 * where firmware did not do it.
 */
void lapic_virtual_wire(void);

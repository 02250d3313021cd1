/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

#include <stdint.h>

/*
 * Arm PrimeCell UART (PL011), polled transmit only. `base` is the physical
 * MMIO address of the register block (the MMU is off, or identity-maps it).
 */
void pl011_init(uintptr_t base);
void pl011_putc(char c);

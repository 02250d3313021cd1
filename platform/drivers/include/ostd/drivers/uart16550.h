/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

#include <stdint.h>

/*
 * NS16550A UART. `base` is an I/O port (x86) or a physical MMIO address
 * (CONFIG_UART_16550_MMIO; registers one byte apart, as on QEMU virt).
 */
void uart16550_init(uintptr_t base);
void uart16550_putc(char c);

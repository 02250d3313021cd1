/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

#include <stdint.h>

/* SiFive UART ("sifive,uart0"); @p base is its mapped register block. */
void uart_sifive_init(uintptr_t base);
void uart_sifive_putc(char c);

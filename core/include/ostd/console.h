/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

#include <stdbool.h>

#include "ostd/boot.h"

/**
 * Brings the console up through the board (plat_console_init()). Called by
 * ostd_boot(), and by a panic that comes earlier, with @p info NULL.
 */
void ostd_console_init(const struct ostd_boot_info *info);

/** True once ostd_console_init() has run. */
bool ostd_console_ready(void);

/**
 * Writes one character to the console, translating '\n' to "\r\n" so a
 * serial terminal shows proper lines.
 *
 * Context: any; it never blocks for long and never allocates.
 */
void ostd_console_putc(char c);

/** Writes @p len bytes of @p s to the console. */
void ostd_console_write(const char *s, unsigned long len);

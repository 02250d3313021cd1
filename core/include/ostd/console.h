/* SPDX-License-Identifier: MPL-2.0 */
#pragma once

/**
 * Writes one character to the console, translating '\n' to "\r\n" so a
 * serial terminal shows proper lines.
 *
 * Context: any; it never blocks for long and never allocates.
 */
void ostd_console_putc(char c);

/** Writes @p len bytes of @p s to the console. */
void ostd_console_write(const char *s, unsigned long len);

// SPDX-License-Identifier: MPL-2.0
/*
 * QEMU virt (aarch64) behind U-Boot: the very machine of
 * platform/qemu-virt-aarch64, whose glue this is. U-Boot hands over the
 * same way the direct boot does (booti: the arm64 boot protocol, x0 = the
 * DTB it fixed up with /chosen and the initrd), so only the QEMU command
 * line (board.ini) differs.
 */

#include "../qemu-virt-aarch64/board.c"

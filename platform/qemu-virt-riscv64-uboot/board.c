// SPDX-License-Identifier: MPL-2.0
/*
 * QEMU virt (riscv64) booted through U-Boot: the machine is the same as
 * platform/qemu-virt-riscv64, only the boot path differs (board.ini and
 * tools/uboot.py), so the board glue is that board's, compiled here.
 */

#include "../qemu-virt-riscv64/board.c"

// SPDX-License-Identifier: MPL-2.0
/*
 * The ELF reader against hostile images: every field that locates bytes
 * in the file or in user space is checked without overflow, and each
 * refusal has its code. Images are built in a buffer here, so this runs
 * on the host and in every kernel image alike.
 */

#include "ostd/config.h"
#include "ostd/elf.h"
#include "ostd/page_table.h"
#include "ostd/pt_config.h"
#include "ostd/string.h"
#include "ostd/test.h"

#define EHDR 64
#define PHDR 56

static uint8_t image[EHDR + 3 * PHDR + 64];

static void put(uint64_t off, uint64_t v, unsigned int bytes)
{
	for (unsigned int i = 0; i < bytes; i++) {
		image[off + i] = (uint8_t)(v >> (8 * i));
	}
}

static uint16_t machine(void)
{
	if (strcmp(CONFIG_ARCH, "riscv64") == 0) {
		return 243;
	}
	if (strcmp(CONFIG_ARCH, "aarch64") == 0) {
		return 183;
	}
	return 62;
}

/* Program header @p i: type, flags, offset, vaddr, filesz, memsz. */
static void phdr(unsigned int i, uint32_t type, uint32_t flags, uint64_t off,
		 uint64_t vaddr, uint64_t filesz, uint64_t memsz)
{
	uint64_t p = EHDR + (uint64_t)i * PHDR;

	put(p, type, 4);
	put(p + 4, flags, 4);
	put(p + 8, off, 8);
	put(p + 16, vaddr, 8);
	put(p + 24, vaddr, 8);
	put(p + 32, filesz, 8);
	put(p + 40, memsz, 8);
	put(p + 48, 4096, 8);
}

/* A valid image: text (R X), a note, data (R W, with bss). */
static void build(void)
{
	memset(image, 0, sizeof(image));
	image[0] = 0x7f; /* ELFMAG: "\177ELF" */
	image[1] = 'E';
	image[2] = 'L';
	image[3] = 'F';
	image[4] = 2;  /* ELFCLASS64 */
	image[5] = 1;  /* ELFDATA2LSB */
	image[6] = 1;  /* EV_CURRENT */
	put(16, 2, 2); /* ET_EXEC */
	put(18, machine(), 2);
	put(20, 1, 4);
	put(24, 0x401000, 8); /* entry */
	put(32, EHDR, 8);     /* phoff */
	put(52, EHDR, 2);
	put(54, PHDR, 2);
	put(56, 3, 2); /* phnum */
	phdr(0, 1, 5, 0, 0x400000, EHDR + 3 * PHDR, 0x2000);
	phdr(1, 4, 4, EHDR, 0x400040, 8, 8); /* PT_NOTE: skipped. */
	phdr(2, 1, 6, EHDR + 3 * PHDR, 0x600000, 64, 0x3000);
}

TEST(elf, a_valid_image_parses)
{
	struct elf_image img;
	struct elf_segment seg;

	build();
	ASSERT_EQ(elf_parse(image, sizeof(image), &img), OSTD_OK);
	ASSERT_EQ(img.entry, 0x401000);
	ASSERT_EQ(img.phnum, 3);
	ASSERT_EQ(elf_segment(&img, 0, &seg), OSTD_OK);
	ASSERT_EQ(seg.vaddr, 0x400000);
	ASSERT_EQ(seg.prot, PROT_R | PROT_X);
	/* The note loads nothing: a zeroed segment, not an error. */
	ASSERT_EQ(elf_segment(&img, 1, &seg), OSTD_OK);
	ASSERT_EQ(seg.memsz, 0);
	ASSERT_EQ(seg.page_end, 0);
	ASSERT_EQ(elf_segment(&img, 2, &seg), OSTD_OK);
	ASSERT_EQ(seg.vaddr, 0x600000);
	ASSERT_EQ(seg.filesz, 64);
	ASSERT_EQ(seg.memsz, 0x3000);
	ASSERT_EQ(seg.prot, PROT_R | PROT_W);
	ASSERT_EQ(seg.page_start, 0x600000);
	ASSERT_EQ(seg.page_end, 0x603000);
	ASSERT_EQ(elf_segment(&img, 3, &seg), OSTD_ENOENT);
	ASSERT_EQ(elf_segment(&img, UINT32_MAX, &seg), OSTD_ENOENT);
	/* Page bounds round outwards; the top page of user space fits. */
	build();
	phdr(2, 1, 6, 0, MAX_USER_VADDR - 0x1001, 1, 0x1001);
	ASSERT_EQ(elf_parse(image, sizeof(image), &img), OSTD_OK);
	ASSERT_EQ(elf_segment(&img, 2, &seg), OSTD_OK);
	ASSERT_EQ(seg.page_start, MAX_USER_VADDR - 0x2000);
	ASSERT_EQ(seg.page_end, MAX_USER_VADDR);
	/* The lowest page a segment may reach is page 1. */
	build();
	phdr(2, 1, 6, 0, ELF_MIN_VADDR, 16, 16);
	ASSERT_EQ(elf_parse(image, sizeof(image), &img), OSTD_OK);
	ASSERT_EQ(elf_segment(&img, 2, &seg), OSTD_OK);
	ASSERT_EQ(seg.page_start, ELF_MIN_VADDR);
	/* No file bytes (all bss): the offset is not used, as in Linux. */
	build();
	phdr(2, 1, 6, UINT64_MAX, 0x600000, 0, 16);
	ASSERT_EQ(elf_parse(image, sizeof(image), &img), OSTD_OK);
	ASSERT_EQ(elf_segment(&img, 2, &seg), OSTD_OK);
	ASSERT_EQ(seg.offset, 0);
	ASSERT_EQ(seg.page_end, 0x601000);
}

/*
 * A PT_LOAD with memsz 0 loads nothing, as in Linux (elf_load() maps
 * nothing for it): not even at page 0, and its file range is not read.
 * Linux still refuses one outside user space or with filesz > memsz.
 */
TEST(elf, an_empty_segment_is_skipped)
{
	struct elf_image img;
	struct elf_segment seg;
	static const struct {
		uint64_t off, vaddr, filesz;
		uint32_t flags;
		ostd_err_t err;
	} cases[] = {
		{ 0, 0, 0, 6, OSTD_OK },                  /* Page 0. */
		{ UINT64_MAX, 0x600000, 0, 6, OSTD_OK },  /* File: unread. */
		{ 0, 0x600000, 0, 7, OSTD_OK },           /* W+X: no page. */
		{ 0, MAX_USER_VADDR - 1, 0, 6, OSTD_OK }, /* Top byte. */
		{ 0, MAX_USER_VADDR, 0, 6, OSTD_ERANGE }, /* Kernel half. */
		{ 0, UINT64_MAX, 0, 6, OSTD_ERANGE },     /* Wrapping. */
		{ 0, 0x600000, 1, 6, OSTD_EINVAL },       /* filesz > memsz. */
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(cases); i++) {
		build();
		phdr(2, 1, cases[i].flags, cases[i].off, cases[i].vaddr,
		     cases[i].filesz, 0);
		ASSERT_EQ(elf_parse(image, sizeof(image), &img), OSTD_OK);
		ASSERT_EQ(elf_segment(&img, 2, &seg), cases[i].err);
		if (cases[i].err == OSTD_OK) {
			ASSERT_EQ(seg.memsz, 0);
			ASSERT_EQ(seg.page_start, 0);
			ASSERT_EQ(seg.page_end, 0);
		}
	}
}

/* Segment i of a file with many headers is found without a scan. */
TEST(elf, segments_are_indexed_by_header)
{
	struct elf_image img;
	struct elf_segment seg;

	build();
	phdr(0, 6, 4, 0, 0x400000, 8, 8); /* PT_PHDR */
	phdr(1, 1, 5, 0, 0x401000, 8, 8);
	ASSERT_EQ(elf_parse(image, sizeof(image), &img), OSTD_OK);
	ASSERT_EQ(elf_segment(&img, 0, &seg), OSTD_OK);
	ASSERT_EQ(seg.memsz, 0);
	ASSERT_EQ(elf_segment(&img, 1, &seg), OSTD_OK);
	ASSERT_EQ(seg.vaddr, 0x401000);
	/* A bad header anywhere is found by index, not hidden by ENOENT. */
	phdr(1, 1, 5, sizeof(image), 0x401000, 8, 8);
	ASSERT_EQ(elf_segment(&img, 0, &seg), OSTD_OK);
	ASSERT_EQ(elf_segment(&img, 1, &seg), OSTD_EINVAL);
	ASSERT_EQ(elf_segment(&img, 2, &seg), OSTD_OK);
}

TEST(elf, bad_headers_are_refused)
{
	struct elf_image img;
	static const struct {
		uint64_t off;
		uint64_t val;
		unsigned int bytes;
		ostd_err_t err;
	} cases[] = {
		{ 0, 0x7e, 1, OSTD_EINVAL },               /* magic */
		{ 4, 1, 1, OSTD_EINVAL },                  /* ELFCLASS32 */
		{ 5, 2, 1, OSTD_EINVAL },                  /* big-endian */
		{ 16, 3, 2, OSTD_EINVAL },                 /* ET_DYN */
		{ 18, 40, 2, OSTD_EINVAL },                /* EM_ARM */
		{ 54, 32, 2, OSTD_EINVAL },                /* phentsize */
		{ 32, sizeof(image) - 8, 8, OSTD_EINVAL }, /* phdrs past end */
		{ 32, UINT64_MAX - 16, 8, OSTD_EINVAL },   /* phoff wraps */
		{ 56, 0xffff, 2, OSTD_EINVAL },            /* phnum too big */
		{ 56, 0, 2, OSTD_EINVAL },                 /* no phdrs */
		{ 24, MAX_USER_VADDR, 8, OSTD_ERANGE },    /* entry: kernel */
	};

	ASSERT_EQ(elf_parse(NULL, 64, &img), OSTD_EINVAL);
	build();
	ASSERT_EQ(elf_parse(image, 63, &img), OSTD_EINVAL);
	for (unsigned int i = 0; i < ARRAY_SIZE(cases); i++) {
		build();
		put(cases[i].off, cases[i].val, cases[i].bytes);
		ASSERT_EQ(elf_parse(image, sizeof(image), &img), cases[i].err);
	}
}

TEST(elf, bad_segments_are_refused)
{
	struct elf_image img;
	struct elf_segment seg;
	static const struct {
		uint64_t off, vaddr, filesz, memsz;
		uint32_t flags;
		ostd_err_t err;
	} cases[] = {
		/* File bytes past the end, or wrapping. */
		{ sizeof(image) - 8, 0x600000, 16, 16, 6, OSTD_EINVAL },
		{ UINT64_MAX - 8, 0x600000, 16, 16, 6, OSTD_EINVAL },
		/* More file than memory. */
		{ 0, 0x600000, 64, 32, 6, OSTD_EINVAL },
		/* Writable and executable. */
		{ 0, 0x600000, 16, 16, 7, OSTD_EINVAL },
		/* Reaching into the kernel half, or wrapping. */
		{ 0, MAX_USER_VADDR - 0x1000, 16, 0x2000, 6, OSTD_ERANGE },
		{ 0, 0x600000, 16, UINT64_MAX - 0x1000, 6, OSTD_ERANGE },
		/* Page 0, from its start or rounded down to it (Linux
		 * refuses mapping below mmap_min_addr, one page). */
		{ 0, 0, 16, 16, 6, OSTD_ERANGE },
		{ 0, 0x10, 16, 16, 6, OSTD_ERANGE },
		{ 0, ELF_MIN_VADDR - 1, 1, 16, 6, OSTD_ERANGE },
		/* A huge offset with a small or zero filesz. */
		{ UINT64_MAX, 0x600000, 1, 16, 6, OSTD_EINVAL },
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(cases); i++) {
		build();
		phdr(2, 1, cases[i].flags, cases[i].off, cases[i].vaddr,
		     cases[i].filesz, cases[i].memsz);
		ASSERT_EQ(elf_parse(image, sizeof(image), &img), OSTD_OK);
		ASSERT_EQ(elf_segment(&img, 2, &seg), cases[i].err);
	}
	ASSERT_EQ(elf_segment(NULL, 0, &seg), OSTD_EINVAL);
	ASSERT_EQ(elf_segment(&img, 0, NULL), OSTD_EINVAL);
}

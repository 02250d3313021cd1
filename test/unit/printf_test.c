// SPDX-License-Identifier: MPL-2.0
/* The freestanding printf, checked against C's own semantics. */

#include <stdint.h>

#include "ostd/printf.h"
#include "ostd/test.h"

#define FMT_EQ(expected, ...)                                            \
	do {                                                             \
		char buf_[128];                                          \
		int n_ = ostd_snprintf(buf_, sizeof(buf_), __VA_ARGS__); \
		ASSERT_STREQ(buf_, expected);                            \
		ASSERT_EQ(n_, sizeof(expected) - 1);                     \
	} while (0)

TEST(printf, integers)
{
	FMT_EQ("0", "%d", 0);
	FMT_EQ("-42 42", "%d %i", -42, 42);
	FMT_EQ("-2147483648", "%d", INT32_MIN);
	FMT_EQ("-9223372036854775808", "%lld", (long long)INT64_MIN);
	FMT_EQ("18446744073709551615", "%llu", (unsigned long long)UINT64_MAX);
	FMT_EQ("4294967295", "%u", UINT32_MAX);
	FMT_EQ("255 -1 65535", "%hhu %hhd %hu", (unsigned char)255,
	       (signed char)-1, (unsigned short)65535);
	FMT_EQ("123456789012", "%zu", (size_t)123456789012ULL);
	FMT_EQ("-5", "%td", (ptrdiff_t)-5);
	FMT_EQ("17", "%o", 15);
}

TEST(printf, hex_and_pointers)
{
	FMT_EQ("ff FF", "%x %X", 255, 255);
	FMT_EQ("0xff 0XFF 0", "%#x %#X %#x", 255, 255, 0);
	FMT_EQ("ffffffffffffffff", "%llx", (unsigned long long)UINT64_MAX);
	FMT_EQ("0x1000", "%p", (void *)(uintptr_t)0x1000);
	FMT_EQ("0x00000000deadbeef", "%#018llx", 0xdeadbeefULL);
	FMT_EQ("017", "%#o", 15);
}

TEST(printf, width_precision_flags)
{
	FMT_EQ("   42", "%5d", 42);
	FMT_EQ("42   |", "%-5d|", 42);
	FMT_EQ("00042", "%05d", 42);
	FMT_EQ("-0042", "%05d", -42);
	FMT_EQ("+42 ' 42'", "%+d ' %d'", 42, 42);
	FMT_EQ("  042", "%5.3d", 42);
	FMT_EQ("", "%.0d", 0);
	FMT_EQ("    7", "%*d", 5, 7);
	FMT_EQ("7    |", "%*d|", -5, 7);
	FMT_EQ("  abc", "%5s", "abc");
	FMT_EQ("ab", "%.2s", "abc");
	FMT_EQ("ab   |", "%-5.*s|", 2, "abc");
	FMT_EQ("x", "%c", 'x');
	FMT_EQ("100%", "%d%%", 100);
	FMT_EQ("(null)", "%s", (const char *)NULL);
}

/* The compiler would rightly reject these formats; they are the point. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-invalid-specifier"
TEST(printf, narrow_conversions_truncate)
{
	/* An int passed for %hhu or %hu is cut to the narrow type, as in C. */
	FMT_EQ("44 1", "%hhu %hu", 300, 65537);
}

TEST(printf, unknown_conversion_is_shown)
{
	/* A mistake must be visible, not silently eat an argument. */
	FMT_EQ("a %q b", "a %q b");
	FMT_EQ("trailing %", "trailing %");
}
#pragma GCC diagnostic pop

TEST(printf, truncation_reports_full_length)
{
	char buf[8];
	int n = ostd_snprintf(buf, sizeof(buf), "%s", "hello, world");

	ASSERT_EQ(n, 12);
	ASSERT_STREQ(buf, "hello, ");
	/* Size 0 writes nothing and still reports the length. */
	buf[0] = 'Z';
	n = ostd_snprintf(buf, 0, "%d", 12345);
	ASSERT_EQ(n, 5);
	ASSERT_EQ(buf[0], 'Z');
}

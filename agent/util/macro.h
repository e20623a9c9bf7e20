/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Small cleanup helpers in the style of systemd's macro.h/alloc-util.h. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

static inline void freep(void *p)
{
	free(*(void **)p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;

		close(*fd);
		errno = saved;
	}
}
#define _cleanup_close_ _cleanup_(closep)

static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(fclosep)

/* A cleanup for pointers to type whose destructor func accepts NULL and
 * returns NULL (systemd's DEFINE_TRIVIAL_CLEANUP_FUNC): funcp. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)                                                                        \
	static inline void func##p(type *p)                                                                            \
	{                                                                                                              \
		if (*p)                                                                                                \
			*p = func(*p);                                                                                 \
	}

/* Takes ownership: returns the value and resets the variable. */
#define TAKE_PTR(p)                                                                                                    \
	({                                                                                                             \
		typeof(p) _p = (p);                                                                                    \
		(p) = NULL;                                                                                            \
		_p;                                                                                                    \
	})

#define TAKE_FD(fd)                                                                                                    \
	({                                                                                                             \
		int _fd = (fd);                                                                                        \
		(fd) = -1;                                                                                             \
		_fd;                                                                                                   \
	})

/* libbpf reports failure as NULL + errno; turn it into -errno at the call. */
static inline int negative_errno(void)
{
	return errno > 0 ? -errno : -EIO;
}

/*
 * Name tables for enums.  @table is an array of names indexed by the enum's
 * value (NULL where a value has none):
 *
 *   DEFINE_STRING_TABLE_TO_NAME(foo, enum foo, foo_table, "unknown")
 *     const char *foo_name(enum foo v): the name, or the fallback ("unknown"
 *     here, NULL where a caller must tell) for a value without one;
 *   DEFINE_STRING_TABLE_FROM_NAME(foo, foo_table)
 *     int foo_from_name(const char *s): the value named @s, or -EINVAL
 *     (also for NULL); names are case-sensitive.
 *
 * tests/unit/test-string-tables.c checks that every value of each enum has a
 * name both ways.
 */
#define DEFINE_STRING_TABLE_TO_NAME(prefix, type, table, fallback)                                                     \
	const char *prefix##_name(type v)                                                                              \
	{                                                                                                              \
		return (size_t)v < ELEMENTSOF(table) && (table)[v] ? (table)[v] : (fallback);                          \
	}

#define DEFINE_STRING_TABLE_FROM_NAME(prefix, table)                                                                   \
	int prefix##_from_name(const char *s)                                                                          \
	{                                                                                                              \
		for (size_t i = 0; s && i < ELEMENTSOF(table); i++)                                                    \
			if ((table)[i] && strcmp((table)[i], s) == 0)                                                  \
				return (int)i;                                                                         \
		return -EINVAL;                                                                                        \
	}

#define DEFINE_STRING_TABLE_LOOKUP(prefix, type, table, fallback)                                                      \
	DEFINE_STRING_TABLE_TO_NAME(prefix, type, table, fallback)                                                     \
	DEFINE_STRING_TABLE_FROM_NAME(prefix, table)

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

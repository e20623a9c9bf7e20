/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/*
 * Length of the valid UTF-8 character (RFC 3629) at the start of the @n bytes
 * at @s: 1 to 4, or 0 for an invalid, overlong, surrogate or truncated
 * sequence and for @n == 0.
 */
size_t utf8_char_len(const char *s, size_t n);

/*
 * Copies at most `len` bytes of `in` (stopping at a NUL) into `out` as valid
 * UTF-8: each byte of an invalid, overlong, surrogate or truncated sequence
 * becomes U+FFFD.  `out` must hold 3 * len + 1 bytes to never cut; otherwise
 * the result is cut at a character boundary.  Returns the length written and
 * sets *changed when a replacement happened.
 */
size_t utf8_clean(const char *in, size_t len, char *out, size_t size, bool *changed);

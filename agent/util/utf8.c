/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdint.h>
#include <string.h>

#include "utf8.h"

size_t utf8_char_len(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	uint32_t cp;
	size_t len;

	if (n == 0)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000))
		return 0; /* overlong */
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0; /* beyond Unicode, or a UTF-16 surrogate */
	return len;
}

size_t utf8_clean(const char *in, size_t len, char *out, size_t size, bool *changed)
{
	static const char replacement[] = "\xef\xbf\xbd";
	size_t n = strnlen(in, len), o = 0;

	if (changed)
		*changed = false;
	if (size == 0)
		return 0;
	for (size_t i = 0; i < n;) {
		size_t l = utf8_char_len(in + i, n - i);
		const char *src = l ? in + i : replacement;
		size_t w = l ? l : 3;

		if (o + w >= size)
			break;
		memcpy(out + o, src, w);
		o += w;
		if (!l && changed)
			*changed = true;
		i += l ? l : 1;
	}
	out[o] = '\0';
	return o;
}

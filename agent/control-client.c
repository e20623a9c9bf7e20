/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "control-client.h"
#include "control-proto.h"
#include "macro.h"

/* the agent answers from its event loop at once; this bounds a hung one */
#define CONTROL_TIMEOUT_MS 10000

static int read_reply(int fd, char **ret)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;

	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (len + 1 >= cap) {
			char *nb;

			if (cap >= CONTROL_REPLY_MAX)
				return -EMSGSIZE;
			cap = cap ? cap * 2 : 4096;
			nb = realloc(buf, cap);
			if (!nb)
				return -ENOMEM;
			buf = nb;
		}
		n = poll(&p, 1, CONTROL_TIMEOUT_MS);
		if (n == 0)
			return -ETIMEDOUT;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (!buf)
		return -EBADMSG;
	buf[len] = '\0';
	*ret = TAKE_PTR(buf);
	return 0;
}

int control_request(const char *path, const char *request, char **reply)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *text = NULL, *line = NULL;
	size_t len = strlen(request);
	const char *payload;
	int r;

	*reply = NULL;
	if (snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path) >= (int)sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	/* one line; the agent reads it when it arrives, within a second */
	line = malloc(len + 2);
	if (!line)
		return -ENOMEM;
	memcpy(line, request, len);
	memcpy(line + len, "\n", 2);
	if (send(fd, line, len + 1, MSG_NOSIGNAL) != (ssize_t)len + 1)
		return -errno ?: -EIO;
	r = read_reply(fd, &text);
	if (r < 0)
		return r;
	r = control_parse_reply(text, &payload);
	if (!payload)
		return r;
	*reply = strdup(payload);
	return *reply ? r : -ENOMEM;
}

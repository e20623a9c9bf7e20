/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Loading the configuration file: who may write it, how big it may be. */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config-internal.h"
#include "sha256.h"

static const char *file_kind(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return "a device";
	return "not a regular file";
}

/*
 * Symlinks are followed (a packaged /etc may link elsewhere); the checks
 * apply to what was opened.  O_NONBLOCK keeps a FIFO planted at the path
 * from blocking the open.  Parent directories are not checked.
 */
static int config_open(const char *path, struct clawos_config_error *err)
{
	_cleanup_close_ int fd = -EBADF;
	struct stat st;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		int r = -errno;

		config_error_set(err, path, 0, "", "", "cannot open the file: %s", strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0) {
		int r = -errno;

		config_error_set(err, path, 0, "", "", "cannot stat the file: %s", strerror(-r));
		return r;
	}
	if (!S_ISREG(st.st_mode)) {
		config_error_set(err, path, 0, "", "", "is %s, expected a regular file", file_kind(st.st_mode));
		return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
	}
	if (st.st_mode & S_IWOTH) {
		config_error_set(err, path, 0, "", "", "is world-writable (mode %04o); run 'chmod o-w' on it",
				 (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	/* a group that may write it may change what the agent watches and
	 * where its records go, as much as root may */
	if (st.st_mode & S_IWGRP) {
		config_error_set(err, path, 0, "", "", "is group-writable (mode %04o); run 'chmod g-w' on it",
				 (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	if (geteuid() == 0 && st.st_uid != 0) {
		config_error_set(err, path, 0, "", "",
				 "is owned by uid %u, but the agent runs as root and only reads "
				 "a configuration owned by root",
				 (unsigned)st.st_uid);
		return -EPERM;
	}
	if (st.st_size > CONFIG_FILE_MAX) {
		config_error_set(err, path, 0, "", "", "is %lld bytes, the limit is %d bytes", (long long)st.st_size,
				 CONFIG_FILE_MAX);
		return -EFBIG;
	}
	return TAKE_FD(fd);
}

/* Reads at most CONFIG_FILE_MAX bytes; the file may change after fstat(). */
static int config_read(int fd, const char *path, char **ret, size_t *ret_len, struct clawos_config_error *err)
{
	_cleanup_free_ char *buf = malloc(CONFIG_FILE_MAX + 1);
	size_t len = 0;

	if (!buf) {
		config_error_set(err, path, 0, "", "", "out of memory");
		return -ENOMEM;
	}
	for (;;) {
		ssize_t n = read(fd, buf + len, CONFIG_FILE_MAX + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int r = -errno;

			config_error_set(err, path, 0, "", "", "cannot read the file: %s", strerror(-r));
			return r;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > CONFIG_FILE_MAX) {
			config_error_set(err, path, 0, "", "", "is larger than the limit of %d bytes", CONFIG_FILE_MAX);
			return -EFBIG;
		}
	}
	*ret = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

int config_load_file(const char *path, struct clawos_settings *out, struct clawos_config_error *err,
		     char sha256_hex_out[SHA256_HEX_SIZE])
{
	_cleanup_close_ int fd = -EBADF;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r;

	memset(out, 0, sizeof(*out));
	memset(err, 0, sizeof(*err));
	if (sha256_hex_out)
		sha256_hex_out[0] = '\0';

	fd = config_open(path, err);
	if (fd < 0)
		return fd;
	r = config_read(fd, path, &buf, &len, err);
	if (r < 0)
		return r;
	/* Hashed even when parsing fails, so the log can name the bad file. */
	if (sha256_hex_out)
		sha256_hex(buf, len, sha256_hex_out);
	return config_parse_buffer(path, buf, len, out, err);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "clock-step.h"
#include "log.h"

struct clock_step {
	void (*on_step)(void *userdata);
	void *userdata;
};

/* A timer at the end of time that the kernel cancels when the clock is set. */
static int arm(int fd)
{
	struct itimerspec its = {.it_value = {.tv_sec = INT32_MAX}};

	return timerfd_settime(fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &its, NULL) < 0 ? -errno : 0;
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct clock_step *c = userdata;
	uint64_t n;

	/* ECANCELED: the clock was set; read again to clear, re-arm */
	(void)!read(fd, &n, sizeof(n));
	if (arm(fd) < 0)
		return sd_event_source_set_enabled(s, SD_EVENT_OFF);
	c->on_step(c->userdata);
	return 0;
}

static void destroy(void *userdata)
{
	free(userdata);
}

int clock_step_watch(sd_event *ev, sd_event_source **ret, void (*on_step)(void *userdata), void *userdata)
{
	struct clock_step *c = calloc(1, sizeof(*c));
	int fd, r;

	if (!c)
		return -ENOMEM;
	c->on_step = on_step;
	c->userdata = userdata;
	fd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
	if (fd < 0) {
		free(c);
		return -errno;
	}
	r = arm(fd);
	if (r >= 0)
		r = sd_event_add_io(ev, ret, fd, EPOLLIN, on_io, c);
	if (r < 0) {
		close(fd);
		free(c);
		return r;
	}
	sd_event_source_set_io_fd_own(*ret, true);
	sd_event_source_set_destroy_callback(*ret, destroy);
	return 0;
}

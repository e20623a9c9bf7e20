/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Steps of the wall clock (settimeofday, NTP's initial step, an admin's
 * date -s): records are stamped with CLOCK_BOOTTIME plus an offset to
 * CLOCK_REALTIME, which must follow.  A CLOCK_REALTIME timerfd with
 * TFD_TIMER_CANCEL_ON_SET wakes the loop at every step; the caller also
 * refreshes the offset on a timer of its own for slewing.
 */

#include <systemd/sd-event.h>

/* Calls on_step(userdata) after every step of CLOCK_REALTIME. */
int clock_step_watch(sd_event *ev, sd_event_source **ret, void (*on_step)(void *userdata), void *userdata);

/*
 * Moves the wall clock of a process by CLOCKSHIFT_SECONDS, the embedded ClickHouse's clock
 * included (its today(), its TTLs), when loaded with LD_PRELOAD. Monotonic clocks, timers and
 * timed waits are left alone. Debian's libfaketime moves the same clocks (neither reaches
 * ClickHouse's now(), which reads the clock its own way) but made the engine 8-10x slower here:
 * its waits returned at once and spun on futexes. Built by test/helpers/clock.ts.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

static long long shift_s;
static int (*real_clock_gettime)(clockid_t, struct timespec *);

__attribute__((constructor)) static void init(void) {
  const char *s = getenv("CLOCKSHIFT_SECONDS");
  shift_s = s ? atoll(s) : 0;
  real_clock_gettime = dlsym(RTLD_NEXT, "clock_gettime");
}

int clock_gettime(clockid_t id, struct timespec *ts) {
  if (!real_clock_gettime) real_clock_gettime = dlsym(RTLD_NEXT, "clock_gettime");
  int r = real_clock_gettime(id, ts);
  if (r == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE || id == CLOCK_TAI)) ts->tv_sec += shift_s;
  return r;
}

int gettimeofday(struct timeval *tv, void *tz) {
  (void)tz;
  struct timespec ts;
  int r = clock_gettime(CLOCK_REALTIME, &ts);
  if (r == 0 && tv) {
    tv->tv_sec = ts.tv_sec;
    tv->tv_usec = ts.tv_nsec / 1000;
  }
  return r;
}

time_t time(time_t *t) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  if (t) *t = ts.tv_sec;
  return ts.tv_sec;
}

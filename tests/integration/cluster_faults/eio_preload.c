/* eio_preload: an LD_PRELOAD library for tests that need a disk error keepd cannot cause
 * itself. While the file named by KEEPDB_EIO_TRIGGER exists, every write or sync of a file
 * whose path ends with KEEPDB_EIO_SUFFIX fails with EIO, as a failing disk's would; other
 * files, and every file while the trigger is absent, are untouched. It is built without the
 * sanitizers (it is preloaded ahead of their runtime) and used by eio_test.cpp only.
 *
 * Thread-safety: the wrappers keep no state besides the real functions, looked up once
 * (dlsym is thread-safe; a racing second lookup stores the same pointer). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static int failing(int fd) {
  const char* trigger = getenv("KEEPDB_EIO_TRIGGER");
  const char* suffix = getenv("KEEPDB_EIO_SUFFIX");
  if (trigger == NULL || suffix == NULL || access(trigger, F_OK) != 0) return 0;
  char link[64];
  char path[PATH_MAX];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  const ssize_t n = readlink(link, path, sizeof path - 1);
  if (n <= 0) return 0;
  path[n] = '\0';
  const size_t length = strlen(suffix);
  if ((size_t)n < length || strcmp(path + n - length, suffix) != 0) return 0;
  errno = EIO;
  return 1;
}

/* The next definition of `name` (libc's, or a sanitizer's wrapper of it). memcpy: ISO C
 * has no conversion from an object pointer to a function pointer. */
#define REAL(name, type, ...)                            \
  do {                                                   \
    static type real = NULL;                             \
    if (real == NULL) {                                  \
      void* found = dlsym(RTLD_NEXT, #name);             \
      memcpy(&real, &found, sizeof real);                \
    }                                                    \
    return failing(fd) ? -1 : real(__VA_ARGS__);         \
  } while (0)

typedef ssize_t (*pwrite_fn)(int, const void*, size_t, off_t);
typedef ssize_t (*write_fn)(int, const void*, size_t);
typedef ssize_t (*writev_fn)(int, const struct iovec*, int);
typedef ssize_t (*pwritev_fn)(int, const struct iovec*, int, off_t);
typedef int (*sync_fn)(int);

ssize_t pwrite(int fd, const void* buf, size_t count, off_t offset) {
  REAL(pwrite, pwrite_fn, fd, buf, count, offset);
}

ssize_t pwrite64(int fd, const void* buf, size_t count, off_t offset) {
  REAL(pwrite64, pwrite_fn, fd, buf, count, offset);
}

ssize_t write(int fd, const void* buf, size_t count) {
  REAL(write, write_fn, fd, buf, count);
}

ssize_t writev(int fd, const struct iovec* iov, int count) {
  REAL(writev, writev_fn, fd, iov, count);
}

ssize_t pwritev(int fd, const struct iovec* iov, int count, off_t offset) {
  REAL(pwritev, pwritev_fn, fd, iov, count, offset);
}

int fdatasync(int fd) {
  REAL(fdatasync, sync_fn, fd);
}

int fsync(int fd) {
  REAL(fsync, sync_fn, fd);
}

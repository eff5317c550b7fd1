/*
 * intercept_io.c - checked I/O into and out of the program's buffers, and
 * the lookup of the real libc functions behind interceptors (vki_real).
 *
 * The system calls stay libc's (cancellation points, errno): read, write,
 * pread and pwrite under glibc's exported __ aliases, the others found with
 * dlsym(RTLD_NEXT) on first use.  What is checked:
 *
 *   direction                      range                     when
 *   -----------------------------  ------------------------  ---------------
 *   into a buffer (read, recv,     [buf, buf + returned)     after the call
 *     fread: items * size, fgets,  the bytes the kernel or
 *     getline, getcwd, realpath)   libc wrote
 *   ... that failed with EFAULT    [buf, buf + requested)    after the call
 *                                  (the buffer is too small
 *                                  for the kernel itself)
 *   out of a buffer (write, send,  [buf, buf + requested)    before the call
 *     fwrite, fputs, puts)
 *
 * So a read() asking for more than the buffer holds is reported only when
 * the data actually overflowed it, as AddressSanitizer does: the request
 * alone is not an access.  Vectors (readv, writev, recvmsg, sendmsg) check
 * the iovec array as read and each buffer the same way, the returned count
 * spread over the buffers in order.
 */
#include "vk_internal.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

/* These define the C library's functions under its names, many (the _chk
 * forms) with no public declaration: no prototype to have. */
#pragma GCC diagnostic ignored "-Wmissing-prototypes"

#define INLINE static inline __attribute__((always_inline))
#define R(p, n) VKI_READ_RANGE(p, n)
#define W(p, n) VKI_WRITE_RANGE(p, n)

extern void __chk_fail(void) __attribute__((noreturn));

/* ------------------------------------------------------------ vki_real */

/*
 * dlsym may allocate (its error buffer), and after the heap work malloc is
 * the runtime's own, which may in turn use a libc string function: a
 * lookup running on this thread answers NULL to any nested lookup, and
 * the callers fall back (own implementation) or fail with ENOSYS
 * (the flag: struct vki_thread's resolving).
 */
void *vki_real(const char *name)
{
	struct vki_thread *t = vki_self();
	if (t->resolving)
		return NULL;
	t->resolving = true;
	void *p = dlsym(RTLD_NEXT, name);
	t->resolving = false;
	if (!p)
		vki_die("vkasan: libc function %s not found (dlsym)\n", name);
	return p;
}

/* A real function, or fail the call with ENOSYS while it cannot be looked
 * up (only a nested lookup inside dlsym). */
#define CALL_REAL(type, name, fail, ...)                                      \
	({                                                                     \
		type f_ = VKI_REAL(type, name);                                \
		f_ ? f_(__VA_ARGS__) : (errno = ENOSYS, (fail));               \
	})

/* ------------------------------------------------------------ helpers */

/* Into buf: what was written, or on EFAULT what was asked for. */
INLINE void wrote(void *buf, ssize_t r, size_t asked)
{
	if (r > 0)
		W(buf, (size_t)r);
	else if (r < 0 && errno == EFAULT && vki_opt.intercept) {
		int e = errno;
		W(buf, asked);
		errno = e;
	}
}

INLINE void iov_read_array(const struct iovec *iov, int cnt)
{
	if (cnt > 0)
		R(iov, (size_t)cnt * sizeof(*iov));
}

/* The first n bytes spread over the vector, as written. */
INLINE void iov_wrote(const struct iovec *iov, size_t cnt, ssize_t n)
{
	if (n <= 0 || !vki_opt.intercept)
		return;
	size_t left = (size_t)n;
	for (size_t i = 0; i < cnt && left; i++) {
		size_t k = iov[i].iov_len < left ? iov[i].iov_len : left;
		W(iov[i].iov_base, k);
		left -= k;
	}
}

INLINE void iov_read(const struct iovec *iov, size_t cnt)
{
	if (!vki_opt.intercept)
		return;
	for (size_t i = 0; i < cnt; i++)
		R(iov[i].iov_base, iov[i].iov_len);
}

/* ------------------------------------------------------------ system calls */

/* read, write and their positioned forms under glibc's exported aliases:
 * no lookup, so they work from the first call on, in signal handlers too
 * (dlsym is not async-signal-safe). */
extern ssize_t __read(int, void *, size_t);
extern ssize_t __write(int, const void *, size_t);
extern ssize_t __pread64(int, void *, size_t, off_t);
extern ssize_t __pwrite64(int, const void *, size_t, off_t);

typedef ssize_t (*readv_fn)(int, const struct iovec *, int);
typedef ssize_t (*recv_fn)(int, void *, size_t, int);
typedef ssize_t (*recvfrom_fn)(int, void *, size_t, int, struct sockaddr *, socklen_t *);
typedef ssize_t (*recvmsg_fn)(int, struct msghdr *, int);
typedef ssize_t (*send_fn)(int, const void *, size_t, int);
typedef ssize_t (*sendto_fn)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
typedef ssize_t (*sendmsg_fn)(int, const struct msghdr *, int);

VKI_EXPORT ssize_t read(int fd, void *buf, size_t n)
{
	ssize_t r = __read(fd, buf, n);
	wrote(buf, r, n);
	return r;
}

VKI_EXPORT ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen)
{
	if (n > buflen)
		__chk_fail();
	ssize_t r = __read(fd, buf, n);
	wrote(buf, r, n);
	return r;
}

VKI_EXPORT ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
	ssize_t r = __pread64(fd, buf, n, off);
	wrote(buf, r, n);
	return r;
}

VKI_EXPORT ssize_t pread64(int fd, void *buf, size_t n, off_t off)
{
	ssize_t r = __pread64(fd, buf, n, off);
	wrote(buf, r, n);
	return r;
}

VKI_EXPORT ssize_t __pread_chk(int fd, void *buf, size_t n, off_t off, size_t buflen)
{
	if (n > buflen)
		__chk_fail();
	ssize_t r = __pread64(fd, buf, n, off);
	wrote(buf, r, n);
	return r;
}

VKI_EXPORT ssize_t __pread64_chk(int fd, void *buf, size_t n, off_t off, size_t buflen)
{
	if (n > buflen)
		__chk_fail();
	ssize_t r = __pread64(fd, buf, n, off);
	wrote(buf, r, n);
	return r;
}

VKI_EXPORT ssize_t write(int fd, const void *buf, size_t n)
{
	R(buf, n);
	return __write(fd, buf, n);
}

VKI_EXPORT ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	R(buf, n);
	return __pwrite64(fd, buf, n, off);
}

VKI_EXPORT ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off)
{
	R(buf, n);
	return __pwrite64(fd, buf, n, off);
}

VKI_EXPORT ssize_t readv(int fd, const struct iovec *iov, int cnt)
{
	iov_read_array(iov, cnt);
	ssize_t r = CALL_REAL(readv_fn, readv, -1, fd, iov, cnt);
	iov_wrote(iov, cnt > 0 ? (size_t)cnt : 0, r);
	return r;
}

VKI_EXPORT ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
	iov_read_array(iov, cnt);
	if (cnt > 0)
		iov_read(iov, (size_t)cnt);
	return CALL_REAL(readv_fn, writev, -1, fd, iov, cnt);
}

VKI_EXPORT ssize_t recv(int fd, void *buf, size_t n, int flags)
{
	ssize_t r = CALL_REAL(recv_fn, recv, -1, fd, buf, n, flags);
	wrote(buf, r, n);
	return r;
}

VKI_EXPORT ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags)
{
	if (n > buflen)
		__chk_fail();
	ssize_t r = CALL_REAL(recv_fn, recv, -1, fd, buf, n, flags);
	wrote(buf, r, n);
	return r;
}

INLINE ssize_t do_recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *addr,
			   socklen_t *alen)
{
	if (addr && alen)
		R(alen, sizeof(*alen));
	socklen_t room = addr && alen ? *alen : 0;
	ssize_t r = CALL_REAL(recvfrom_fn, recvfrom, -1, fd, buf, n, flags, addr, alen);
	wrote(buf, r, n);
	if (r >= 0 && addr && alen)
		W(addr, *alen < room ? *alen : room);
	return r;
}

VKI_EXPORT ssize_t recvfrom(int fd, void *restrict buf, size_t n, int flags,
			    struct sockaddr *restrict addr, socklen_t *restrict alen)
{
	return do_recvfrom(fd, buf, n, flags, addr, alen);
}

VKI_EXPORT ssize_t __recvfrom_chk(int fd, void *restrict buf, size_t n, size_t buflen, int flags,
				  struct sockaddr *restrict addr, socklen_t *restrict alen)
{
	if (n > buflen)
		__chk_fail();
	return do_recvfrom(fd, buf, n, flags, addr, alen);
}

VKI_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	R(msg, sizeof(*msg));
	iov_read_array(msg->msg_iov, (int)msg->msg_iovlen);
	ssize_t r = CALL_REAL(recvmsg_fn, recvmsg, -1, fd, msg, flags);
	if (r >= 0) {
		iov_wrote(msg->msg_iov, msg->msg_iovlen, r);
		if (msg->msg_name)
			W(msg->msg_name, msg->msg_namelen);
		if (msg->msg_control)
			W(msg->msg_control, msg->msg_controllen);
	}
	return r;
}

VKI_EXPORT ssize_t send(int fd, const void *buf, size_t n, int flags)
{
	R(buf, n);
	return CALL_REAL(send_fn, send, -1, fd, buf, n, flags);
}

VKI_EXPORT ssize_t sendto(int fd, const void *buf, size_t n, int flags,
			  const struct sockaddr *addr, socklen_t alen)
{
	R(buf, n);
	if (addr)
		R(addr, alen);
	return CALL_REAL(sendto_fn, sendto, -1, fd, buf, n, flags, addr, alen);
}

VKI_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	R(msg, sizeof(*msg));
	iov_read_array(msg->msg_iov, (int)msg->msg_iovlen);
	iov_read(msg->msg_iov, msg->msg_iovlen);
	if (msg->msg_name)
		R(msg->msg_name, msg->msg_namelen);
	if (msg->msg_control)
		R(msg->msg_control, msg->msg_controllen);
	return CALL_REAL(sendmsg_fn, sendmsg, -1, fd, msg, flags);
}

/* ------------------------------------------------------------ stdio */

typedef size_t (*fread_fn)(void *, size_t, size_t, FILE *);
typedef size_t (*fwrite_fn)(const void *, size_t, size_t, FILE *);
typedef char *(*fgets_fn)(char *, int, FILE *);
typedef ssize_t (*getdelim_fn)(char **, size_t *, int, FILE *);
typedef int (*fputs_fn)(const char *, FILE *);
typedef int (*puts_fn)(const char *);
typedef char *(*getcwd_fn)(char *, size_t);
typedef char *(*realpath_fn)(const char *, char *);

VKI_EXPORT size_t fread(void *restrict buf, size_t size, size_t n, FILE *restrict f)
{
	size_t r = CALL_REAL(fread_fn, fread, 0, buf, size, n, f);
	W(buf, r * size);
	return r;
}

VKI_EXPORT size_t __fread_chk(void *restrict buf, size_t buflen, size_t size, size_t n,
			      FILE *restrict f)
{
	if (size && n > buflen / size)
		__chk_fail();
	size_t r = CALL_REAL(fread_fn, fread, 0, buf, size, n, f);
	W(buf, r * size);
	return r;
}

VKI_EXPORT size_t fwrite(const void *restrict buf, size_t size, size_t n, FILE *restrict f)
{
	R(buf, size * n);
	return CALL_REAL(fwrite_fn, fwrite, 0, buf, size, n, f);
}

INLINE char *after_fgets(char *s, char *r)
{
	if (r)
		W(s, vki_strlen(s) + 1);
	return r;
}

VKI_EXPORT char *fgets(char *restrict s, int n, FILE *restrict f)
{
	return after_fgets(s, CALL_REAL(fgets_fn, fgets, NULL, s, n, f));
}

VKI_EXPORT char *__fgets_chk(char *restrict s, size_t size, int n, FILE *restrict f)
{
	if ((size_t)n > size)
		__chk_fail();
	return after_fgets(s, CALL_REAL(fgets_fn, fgets, NULL, s, n, f));
}

VKI_EXPORT int fputs(const char *restrict s, FILE *restrict f)
{
	R(s, vki_strlen(s) + 1);
	return CALL_REAL(fputs_fn, fputs, EOF, s, f);
}

VKI_EXPORT int puts(const char *s)
{
	R(s, vki_strlen(s) + 1);
	return CALL_REAL(puts_fn, puts, EOF, s);
}

/* The line buffer is libc's malloc (it may realloc it): the pointer and
 * size the program passes are read and written, the line written. */
INLINE ssize_t do_getdelim(char **line, size_t *n, int delim, FILE *f)
{
	R(line, sizeof(*line));
	R(n, sizeof(*n));
	ssize_t r = CALL_REAL(getdelim_fn, getdelim, -1, line, n, delim, f);
	W(line, sizeof(*line));
	W(n, sizeof(*n));
	if (r > 0)
		W(*line, (size_t)r + 1);
	return r;
}

VKI_EXPORT ssize_t getdelim(char **restrict line, size_t *restrict n, int delim, FILE *restrict f)
{
	return do_getdelim(line, n, delim, f);
}

VKI_EXPORT ssize_t getline(char **restrict line, size_t *restrict n, FILE *restrict f)
{
	return do_getdelim(line, n, '\n', f);
}

VKI_EXPORT ssize_t __getdelim(char **restrict line, size_t *restrict n, int delim,
			      FILE *restrict f)
{
	return do_getdelim(line, n, delim, f);
}

/* ------------------------------------------------------------ paths */

VKI_EXPORT char *getcwd(char *buf, size_t size)
{
	char *r = CALL_REAL(getcwd_fn, getcwd, NULL, buf, size);
	if (r && buf)
		W(buf, vki_strlen(buf) + 1);
	return r;
}

VKI_EXPORT char *__getcwd_chk(char *buf, size_t size, size_t buflen)
{
	if (size > buflen)
		__chk_fail();
	char *r = CALL_REAL(getcwd_fn, getcwd, NULL, buf, size);
	if (r && buf)
		W(buf, vki_strlen(buf) + 1);
	return r;
}

INLINE char *do_realpath(const char *path, char *resolved)
{
	if (path)
		R(path, vki_strlen(path) + 1);
	char *r = CALL_REAL(realpath_fn, realpath, NULL, path, resolved);
	if (r && resolved)
		W(resolved, vki_strlen(resolved) + 1);
	return r;
}

VKI_EXPORT char *realpath(const char *restrict path, char *restrict resolved)
{
	return do_realpath(path, resolved);
}

VKI_EXPORT char *__realpath_chk(const char *restrict path, char *restrict resolved,
				size_t resolvedlen)
{
	if (resolved && resolvedlen < PATH_MAX)
		__chk_fail();
	return do_realpath(path, resolved);
}

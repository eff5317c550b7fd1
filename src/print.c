/*
 * print.c - formatted output without malloc.
 *
 * Reports are printed from checks, from vk_vfree and from a SIGSEGV handler,
 * where stdio may hold a lock or call malloc.  So the runtime formats into
 * stack buffers with this small printf and writes with write(2).
 *
 * The report stream lives here too, below everything that prints into a
 * report (stack depot, symbolizer, redzones, owners of memory): while this
 * thread has a report open (vki_stream_begin), vki_report_printf appends to
 * one static buffer written at the end with few write() calls, so that
 * concurrent output from the program does not cut a report apart.  report.c
 * opens and closes the stream; nothing here calls up into it.
 */
#include "vk_internal.h"

#include <limits.h>

int vki_log_fd = 2; /* stderr, or the log_path file (vki_report_open_log opens it) */

struct vki_out {
	char *buf;
	size_t size, len; /* len counts what would have been written */
};

static void put(struct vki_out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void put_num(struct vki_out *o, unsigned long long v, unsigned base, int neg,
		    int width, char padc, int left)
{
	char tmp[24];
	int n = 0;
	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (neg)
		tmp[n++] = '-';
	int pad = width > n ? width - n : 0;
	if (!left && padc == '0' && neg) { /* sign goes before zero padding */
		put(o, '-');
		n--;
	}
	if (!left)
		while (pad--)
			put(o, padc);
	while (n)
		put(o, tmp[--n]);
	if (left)
		while (pad-- > 0)
			put(o, ' ');
}

int vki_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct vki_out o = { buf, size, 0 };
	for (const char *f = fmt; *f; f++) {
		if (*f != '%') {
			put(&o, *f);
			continue;
		}
		f++;
		int left = 0, width = 0, lng = 0;
		char padc = ' ';
		for (; *f == '-' || *f == '0'; f++) {
			if (*f == '-')
				left = 1;
			else
				padc = '0';
		}
		for (; *f >= '0' && *f <= '9'; f++)
			width = width * 10 + (*f - '0');
		int prec = -1; /* only "%.*s" and "%.Ns": at most prec chars */
		if (*f == '.') {
			f++;
			if (*f == '*') {
				prec = va_arg(ap, int);
				f++;
			} else {
				for (prec = 0; *f >= '0' && *f <= '9'; f++)
					prec = prec * 10 + (*f - '0');
			}
		}
		for (; *f == 'l' || *f == 'z'; f++)
			lng++;
		switch (*f) {
		case 'd':
		case 'i': {
			long long v = lng ? va_arg(ap, long long) : va_arg(ap, int);
			put_num(&o, v < 0 ? -(unsigned long long)v : (unsigned long long)v, 10,
				v < 0, width, padc, left);
			break;
		}
		case 'u':
		case 'x': {
			unsigned long long v = lng ? va_arg(ap, unsigned long long)
						   : va_arg(ap, unsigned int);
			put_num(&o, v, *f == 'x' ? 16 : 10, 0, width, padc, left);
			break;
		}
		case 'p':
			put(&o, '0');
			put(&o, 'x');
			put_num(&o, (uintptr_t)va_arg(ap, void *), 16, 0, width, padc, left);
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			if (!s)
				s = "(null)";
			size_t n = 0;
			while (s[n] && (prec < 0 || n < (size_t)prec))
				n++;
			int pad = width > (int)n ? width - (int)n : 0;
			if (!left)
				while (pad--)
					put(&o, ' ');
			for (size_t i = 0; i < n; i++)
				put(&o, s[i]);
			if (left)
				while (pad-- > 0)
					put(&o, ' ');
			break;
		}
		case 'c':
			put(&o, (char)va_arg(ap, int));
			break;
		case '%':
			put(&o, '%');
			break;
		default: /* unknown conversion: show it rather than guess */
			put(&o, '%');
			if (!*f)
				f--;
			else
				put(&o, *f);
		}
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = 0;
	return (int)o.len;
}

int vki_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vki_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

void vki_write_log(const char *s, size_t n)
{
	vki_os_write(vki_log_fd, s, n);
}

void vki_vprintf(const char *fmt, va_list ap)
{
	char buf[1024];
	int n = vki_vsnprintf(buf, sizeof(buf), fmt, ap);
	vki_write_log(buf, n < (int)sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

void vki_printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vki_vprintf(fmt, ap);
	va_end(ap);
}

void vki_die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vki_vprintf(fmt, ap);
	va_end(ap);
	vki_os_abort();
}

/* ------------------------------------------------------------ report stream */

static char rbuf[32768]; /* the report being printed; one report at a time */
static size_t rlen;

void vki_stream_flush(void)
{
	if (rlen)
		vki_write_log(rbuf, rlen);
	rlen = 0;
}

static void rvprintf(const char *fmt, va_list ap)
{
	char tmp[1024];
	int n = vki_vsnprintf(tmp, sizeof(tmp), fmt, ap);
	if (n < 0)
		return;
	size_t len = (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1;
	if (rlen + len > sizeof(rbuf))
		vki_stream_flush();
	vki_copy(rbuf + rlen, tmp, len);
	rlen += len;
}

void vki_report_printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (vki_self()->in_report)
		rvprintf(fmt, ap);
	else
		vki_vprintf(fmt, ap);
	va_end(ap);
}

unsigned long vki_reports; /* report.c counts them; here so lower layers can read */

unsigned long vki_report_count(void)
{
	return __atomic_load_n(&vki_reports, __ATOMIC_RELAXED);
}

bool vki_in_report(void)
{
	return vki_self()->in_report != 0;
}

void vki_stream_begin(void)
{
	vki_self()->in_report = 1;
	rlen = 0;
}

void vki_stream_end(void)
{
	vki_stream_flush();
	vki_self()->in_report = 0;
}

/* ------------------------------------------------------------ log stream */

static char log_base[PATH_MAX]; /* log_path the open log belongs to */
static int log_pid;
static char log_failed[PATH_MAX]; /* log_path that could not be opened */
static int log_failed_pid;

static bool log_is_stream(const char *p)
{
	return !p || !*p || !vki_strcmp(p, "stderr") || !vki_strcmp(p, "stdout");
}

/*
 * The report stream: stderr, stdout or "<log_path>.<pid>".  "stderr" and
 * "stdout" name the streams, as in the sanitizers.  The file is created only
 * when something is written to it (vki_report_open_log: the first report,
 * the statistics or the summary at exit), so that a run without reports
 * leaves no empty file behind; a forked child gets its own.
 */
void vki_report_init(void)
{
	const char *p = vki_opt.log_path;
	if (!log_is_stream(p))
		return; /* a file: vki_report_open_log, when there is something to write */
	if (vki_log_fd > 2)
		vki_os_close(vki_log_fd);
	vki_log_fd = p && !vki_strcmp(p, "stdout") ? 1 : 2;
	log_base[0] = 0;
}

/* A path that cannot be opened is said once per path and process; reports
 * then go to stderr. */
void vki_report_open_log(void)
{
	vki_report_init();
	const char *p = vki_opt.log_path;
	if (log_is_stream(p))
		return;
	int pid = vki_os_getpid();
	if (vki_log_fd > 2 && pid == log_pid && !vki_strcmp(p, log_base))
		return;
	if (pid == log_failed_pid && !vki_strcmp(p, log_failed))
		return; /* said already; stderr it is */
	char path[PATH_MAX + 16];
	vki_snprintf(path, sizeof(path), "%s.%d", p, pid);
	int fd = vki_os_open_log(path);
	if (vki_log_fd > 2)
		vki_os_close(vki_log_fd);
	if (fd < 0) {
		vki_log_fd = 2;
		log_base[0] = 0;
		log_failed_pid = pid;
		vki_snprintf(log_failed, sizeof(log_failed), "%s", p);
		vki_printf("vkasan: cannot open log file %s; reporting to stderr\n", path);
		return;
	}
	vki_log_fd = fd;
	log_pid = pid;
	vki_snprintf(log_base, sizeof(log_base), "%s", p);
}

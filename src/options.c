/*
 * options.c - runtime options: one table (VKI_OPTIONS in vk_internal.h), one
 * environment variable, VKASAN_OPTIONS="name=value:name=value".
 *
 * Parsed before main() and without malloc (the string is scanned in place),
 * so it is safe however early the runtime starts.  A bad option gets a
 * one-line warning and keeps its previous value; it never stops the program.
 */
#include "vk_internal.h"

#include <stdlib.h>

struct vki_options vki_opt = {
#define VKI_OPT_INIT(name, type, def, desc) .name = (def),
	VKI_OPTIONS(VKI_OPT_INIT)
#undef VKI_OPT_INIT
};

struct opt_desc {
	const char *name;
	enum vki_opt_type type;
	void *field;
};

static const struct opt_desc opt_table[] = {
#define VKI_OPT_DESC(name, type, def, desc) { #name, VKI_OPT_##type, &vki_opt.name },
	VKI_OPTIONS(VKI_OPT_DESC)
#undef VKI_OPT_DESC
};

/* Options the arena is built around: changing them on a running arena would
 * leave mappings with guard pages or shadow they do not expect. */
static const char *const startup_only[] = { "arena_size", "shadow", "mmap" };
static bool started;

void vki_options_freeze(void)
{
	started = true;
}

/* Warnings quote user input: at most 48 bytes, non-printables as '?'. */
static void quote(char *dst, size_t size, const char *s, size_t n)
{
	size_t i = 0;
	for (; i < n && i + 4 < size; i++)
		dst[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	if (i < n) {
		dst[i++] = '.';
		dst[i++] = '.';
		dst[i++] = '.';
	}
	dst[i] = 0;
}

/* log_path needs a copy that outlives a vk_set_option() caller's buffer. */
static char str_storage[4][512];

static bool name_is(const char *a, const char *b, size_t blen)
{
	size_t i = 0;
	for (; i < blen; i++)
		if (a[i] != b[i])
			return false;
	return a[i] == 0;
}

/* Decimal or 0x hex, with an optional k/m/g/t (binary) suffix for sizes. */
static bool parse_number(const char *v, size_t n, bool allow_suffix, bool allow_neg,
			 long long *out)
{
	size_t i = 0;
	bool neg = false;
	if (i < n && v[i] == '-' && allow_neg) {
		neg = true;
		i++;
	}
	unsigned base = 10;
	if (i + 1 < n && v[i] == '0' && (v[i + 1] == 'x' || v[i + 1] == 'X')) {
		base = 16;
		i += 2;
	}
	if (i == n)
		return false;
	unsigned long long x = 0;
	size_t digits = 0;
	for (; i < n; i++, digits++) {
		char c = v[i];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (base == 16 && c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			break;
		if (x > (~0ULL >> 8))
			return false; /* overflow */
		x = x * base + d;
	}
	if (!digits)
		return false;
	if (i < n && allow_suffix) {
		int shift;
		switch (v[i] | 0x20) {
		case 'k': shift = 10; break;
		case 'm': shift = 20; break;
		case 'g': shift = 30; break;
		case 't': shift = 40; break;
		default: return false;
		}
		if (x > (~0ULL >> (shift + 1)))
			return false;
		x <<= shift;
		i++;
	}
	if (i != n || x > (unsigned long long)__LONG_LONG_MAX__)
		return false;
	*out = neg ? -(long long)x : (long long)x;
	return true;
}

/* Booleans: each true word, then its false word (case does not matter). */
static const char *const bool_words[] = { "1", "0", "true", "false", "yes", "no", "on", "off" };

static bool words_eq(const char *word, const char *v, size_t n)
{
	size_t i = 0;
	for (; i < n; i++)
		if (!word[i] || (word[i] | 0x20) != (v[i] | 0x20))
			return false;
	return word[i] == 0;
}

/* Integers with a range: a value outside it is refused, never wrapped
 * (exit statuses are 8 bits: 300 would silently become 44). */
struct int_range {
	const char *name;
	long long min, max;
};
static const struct int_range int_ranges[] = {
	{ "exitcode", 0, 255 },
	{ "max_reports", 0, 1LL << 30 },
	{ "verbosity", 0, 3 },
	{ "fail_mmap_every", 0, 1LL << 30 },
	{ "verify_every", 0, 1LL << 30 },
};

static const struct int_range *range_of(const char *name)
{
	for (size_t i = 0; i < sizeof(int_ranges) / sizeof(int_ranges[0]); i++) {
		const char *a = int_ranges[i].name, *b = name;
		while (*a && *a == *b)
			a++, b++;
		if (*a == *b)
			return &int_ranges[i];
	}
	return NULL;
}

int vki_option_set(const char *name, size_t namelen, const char *value, size_t vallen)
{
	char qn[52], qv[52];
	quote(qn, sizeof(qn), name, namelen);
	quote(qv, sizeof(qv), value, vallen);
	for (size_t k = 0; k < sizeof(opt_table) / sizeof(opt_table[0]); k++) {
		const struct opt_desc *d = &opt_table[k];
		if (!name_is(d->name, name, namelen))
			continue;
		for (size_t i = 0; started && i < sizeof(startup_only) / sizeof(startup_only[0]); i++) {
			if (name_is(startup_only[i], name, namelen)) {
				vki_printf("vkasan: warning: option %s can only be set at start-up "
					   "(VKASAN_OPTIONS); ignored\n", d->name);
				return -1;
			}
		}
		long long x;
		switch (d->type) {
		case VKI_OPT_BOOL:
			for (size_t i = 0; i < sizeof(bool_words) / sizeof(bool_words[0]); i++) {
				if (words_eq(bool_words[i], value, vallen)) {
					*(bool *)d->field = i % 2 == 0;
					return 0;
				}
			}
			break;
		case VKI_OPT_INT:
			if (parse_number(value, vallen, false, true, &x) && x >= -(1LL << 31) &&
			    x < (1LL << 31)) {
				const struct int_range *r = range_of(d->name);
				if (r && (x < r->min || x > r->max)) {
					vki_printf("vkasan: warning: option %s must be %lld..%lld, not "
						   "'%s'; keeping the old value\n",
						   d->name, r->min, r->max, qv);
					return -1;
				}
				*(long *)d->field = (long)x;
				return 0;
			}
			break;
		case VKI_OPT_SIZE:
			if (parse_number(value, vallen, true, false, &x)) {
				*(size_t *)d->field = (size_t)x;
				return 0;
			}
			break;
		case VKI_OPT_STR: {
			static int next;
			if (vallen >= sizeof(str_storage[0]))
				break;
			char *dst = str_storage[__atomic_fetch_add(&next, 1, __ATOMIC_RELAXED) % 4];
			for (size_t i = 0; i < vallen; i++)
				dst[i] = value[i];
			dst[vallen] = 0;
			*(const char **)d->field = vallen ? dst : NULL;
			return 0;
		}
		}
		vki_printf("vkasan: warning: bad value '%s' for option %s; keeping the old value\n",
			   qv, d->name);
		return -1;
	}
	vki_printf("vkasan: warning: unknown option '%s' (ignored)\n", qn);
	return -1;
}

void vki_options_parse(const char *s)
{
	if (!s)
		return;
	while (*s) {
		while (*s == ':' || *s == ',' || *s == ' ' || *s == '\t' || *s == '\n')
			s++;
		if (!*s)
			break;
		const char *name = s;
		while (*s && *s != '=' && *s != ':' && *s != ',' && *s != ' ')
			s++;
		size_t namelen = (size_t)(s - name);
		if (*s != '=') {
			char qn[52];
			quote(qn, sizeof(qn), name, namelen);
			vki_printf("vkasan: warning: option '%s' has no value (ignored)\n", qn);
			continue;
		}
		const char *val = ++s;
		while (*s && *s != ':' && *s != ',' && *s != ' ')
			s++;
		vki_option_set(name, namelen, val, (size_t)(s - val));
	}
}

/* A program may define it to set its own defaults (VKASAN_OPTIONS wins). */
__attribute__((weak)) const char *vk_default_options(void);

void vki_options_init(void)
{
	if (vk_default_options)
		vki_options_parse(vk_default_options());
	vki_options_parse(getenv("VKASAN_OPTIONS"));
	if (vki_opt.stack_depth < 1 || vki_opt.stack_depth > 64) {
		vki_printf("vkasan: warning: stack_depth must be 1..64; using 32\n");
		vki_opt.stack_depth = 32;
	}
}

VKI_EXPORT int vk_set_option(const char *name, const char *value)
{
	if (!name || !value) {
		vki_printf("vkasan: warning: vk_set_option needs a name and a value\n");
		return -1;
	}
	return vki_option_set(name, vki_strlen(name), value, vki_strlen(value));
}

/*
 * verbosity>=1: a line when the runtime is up, so that a user can see that
 * vkasan is in the program at all, which version and how it is set up.
 */
void vki_options_startup_note(void)
{
	if (vki_opt.verbosity < 1)
		return;
	if (vki_arena_base)
		vki_printf("vkasan %s: pid %d, arena [0x%lx, 0x%lx) %lu GiB, %s checks, "
			   "shadow %s, halt_on_error=%d\n",
			   VKASAN_VERSION, vki_os_getpid(), (unsigned long)vki_arena_base,
			   (unsigned long)vki_arena_end,
			   (unsigned long)((vki_arena_end - vki_arena_base) >> 30),
			   vki_fullshadow_on ? "inline" : "outline", vki_opt.shadow ? "on" : "off",
			   (int)vki_opt.halt_on_error);
	else
		vki_printf("vkasan %s: pid %d, no arena (vk_vmalloc fails)\n", VKASAN_VERSION,
			   vki_os_getpid());
}

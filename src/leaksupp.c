/*
 * leaksupp.c - the leak checker's suppressions: the leak_suppressions file
 * (one pattern a line, "leak:pattern" as LeakSanitizer writes them, or
 * plain; '#' starts a comment) and matching a stored allocation stack
 * against it: the function names of its frames (from the ELF symbol
 * tables) and the files of their modules (dladdr).  Matching takes the
 * loader lock: leak.c calls it before it stops the other threads.
 */
#include "vk_internal.h"

#include <dlfcn.h>

#define MAX_SUPP 256

static char supp_text[16384];
static const char *supp_pat[MAX_SUPP];
static int nsupp;

int vki_leak_supp_load(void)
{
	nsupp = 0;
	const char *path = vki_opt.leak_suppressions;
	if (!path || !path[0])
		return 0;
	long n = vki_os_read_file(path, supp_text, sizeof(supp_text) - 1);
	if (n < 0) {
		vki_printf("vkasan: cannot read leak_suppressions file '%s'\n", path);
		return 0;
	}
	supp_text[n] = 0;
	for (char *line = supp_text; *line && nsupp < MAX_SUPP;) {
		char *end = line;
		while (*end && *end != '\n')
			end++;
		bool more = *end;
		*end = 0;
		while (*line == ' ' || *line == '\t')
			line++;
		char *t = end;
		while (t > line && (t[-1] == ' ' || t[-1] == '\t' || t[-1] == '\r'))
			*--t = 0;
		if (line[0] == 'l' && line[1] == 'e' && line[2] == 'a' && line[3] == 'k' && line[4] == ':')
			line += 5;
		if (line[0] && line[0] != '#')
			supp_pat[nsupp++] = line;
		line = more ? end + 1 : end;
	}
	return nsupp;
}

/* pat, with '*' matching any run, somewhere in s (LeakSanitizer's rule). */
static bool glob_at(const char *p, const char *s)
{
	for (; *p; p++, s++) {
		if (*p == '*') {
			for (;; s++) {
				if (glob_at(p + 1, s))
					return true;
				if (!*s)
					return false;
			}
		}
		if (*p == '$' && !p[1])
			return !*s;
		if (!*s || *s != *p)
			return false;
	}
	return true;
}

static bool glob_in(const char *p, const char *s)
{
	if (*p == '^')
		return glob_at(p + 1, s);
	for (; *s; s++)
		if (glob_at(p, s))
			return true;
	return false;
}

/* Does the suppression file name a function or library of this stack? */
bool vki_leak_supp_match(uint32_t handle)
{
	uintptr_t frames[64];
	int n = vki_stack_fetch(handle, frames, 64);
	for (int i = 0; i < n; i++) {
		char fn[256];
		vki_symbolize_function(frames[i], false, fn, sizeof(fn));
		char *plus = fn;
		while (*plus && *plus != '+' && *plus != ' ')
			plus++;
		if (fn[0] != '0')
			*plus = 0; /* "name+0x1/0x2" -> "name"; "0x.. [lib+0x..]" kept */
		Dl_info di;
		const char *lib = dladdr((void *)(frames[i] - 1), &di) && di.dli_fname ? di.dli_fname : "";
		for (int k = 0; k < nsupp; k++)
			if (glob_in(supp_pat[k], fn) || (lib[0] && glob_in(supp_pat[k], lib)))
				return true;
	}
	return false;
}

/*
 * symbolize.c - return addresses to " function+0xoff/0xsize file:line".
 *
 * Only reports come here, so nothing in this file is fast; it must instead
 * be safe where reports run (after a bad access, inside vk_vfree, in the
 * SIGSEGV handler): no malloc, bounded static storage, and always some
 * readable output even when every helper below fails.
 *
 * Three sources, best first, each a fallback for the one before:
 *   - function+offset/size: the module's ELF symbol table (.symtab, else
 *     .dynsym), read from the file mapped read-only.  Exact, no subprocess.
 *   - file:line: llvm-symbolizer, one process kept for all reports and
 *     asked once for all frames of a report (vki_symbolize_batch); else
 *     addr2line, run once per module and report.  Only when the option
 *     symbolize is on.  The processes are symbolizer.c's business; this
 *     file hands it (module, offset) queries and caches the answers.
 *   - otherwise "0x<pc> [module+0xoff]", from dl_iterate_phdr alone.
 *
 * Modules are found with dl_iterate_phdr: addresses handed to the tools and
 * to the symbol table are module-relative (pc minus the load bias), which is
 * right for PIE executables and shared libraries alike.
 *
 * The system calls here (readlink, open and mmap of the module files) are
 * used by this file alone and only on the report path.
 */
#include "vk_internal.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------ modules */

struct module {
	const char *path; /* file to read; NULL for the vdso and unknown */
	const char *name; /* basename, for "[name+0xoff]" */
	uintptr_t bias;   /* load bias: module-relative = pc - bias */
};

static char exe_path[PATH_MAX];

struct find_ctx {
	uintptr_t pc;
	struct module *m;
	bool found;
};

static int find_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct find_ctx *c = arg;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD)
			continue;
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
		if (c->pc - lo >= ph->p_memsz)
			continue;
		const char *path = info->dlpi_name;
		if (!path || !path[0]) { /* the main program */
			if (!exe_path[0]) {
				ssize_t n = readlink("/proc/self/exe", exe_path, sizeof(exe_path) - 1);
				exe_path[n > 0 ? n : 0] = 0;
			}
			path = exe_path[0] ? exe_path : NULL;
		} else if (path[0] != '/') { /* linux-vdso.so.1: no file */
			c->m->path = NULL;
			c->m->name = path;
			c->m->bias = info->dlpi_addr;
			c->found = true;
			return 1;
		}
		c->m->path = path;
		c->m->name = path ? path : "?";
		if (path) {
			const char *slash = vki_strrchr(path, '/');
			c->m->name = slash ? slash + 1 : path;
		}
		c->m->bias = info->dlpi_addr;
		c->found = true;
		return 1;
	}
	return 0;
}

static bool find_module(uintptr_t pc, struct module *m)
{
	struct find_ctx c = { pc, m, false };
	dl_iterate_phdr(find_cb, &c);
	return c.found;
}

/* ------------------------------------------------------------ ELF symbols */

#define MAX_ELF 16

struct elf_file {
	char path[PATH_MAX];
	bool failed;
	const char *map;
	size_t len;
	const ElfW(Sym) *syms;
	size_t nsyms;
	const char *strs;
	size_t strs_len;
};

static struct elf_file elves[MAX_ELF];
static int nelves;

static bool elf_load(struct elf_file *e)
{
	int fd = open(e->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	struct stat st;
	void *p = MAP_FAILED;
	if (fstat(fd, &st) == 0 && st.st_size >= (off_t)sizeof(ElfW(Ehdr)))
		p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return false;
	e->map = p;
	e->len = st.st_size;
	const ElfW(Ehdr) *eh = p;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_shentsize != sizeof(ElfW(Shdr)) || eh->e_shoff >= e->len ||
	    e->len - eh->e_shoff < (size_t)eh->e_shnum * sizeof(ElfW(Shdr)))
		goto bad;
	const ElfW(Shdr) *sh = (const ElfW(Shdr) *)(e->map + eh->e_shoff);
	const ElfW(Shdr) *best = NULL;
	for (int i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_type == SHT_SYMTAB)
			best = &sh[i];
		else if (sh[i].sh_type == SHT_DYNSYM && !best)
			best = &sh[i];
	}
	if (!best || best->sh_link >= eh->e_shnum)
		goto bad;
	const ElfW(Shdr) *str = &sh[best->sh_link];
	if (best->sh_offset > e->len || best->sh_size > e->len - best->sh_offset ||
	    str->sh_offset > e->len || str->sh_size > e->len - str->sh_offset)
		goto bad;
	e->syms = (const ElfW(Sym) *)(e->map + best->sh_offset);
	e->nsyms = best->sh_size / sizeof(ElfW(Sym));
	e->strs = e->map + str->sh_offset;
	e->strs_len = str->sh_size;
	return true;
bad:
	munmap((void *)e->map, e->len);
	e->map = NULL;
	return false;
}

static struct elf_file *elf_get(const char *path)
{
	for (int i = 0; i < nelves; i++)
		if (!vki_strcmp(elves[i].path, path))
			return elves[i].failed ? NULL : &elves[i];
	if (nelves == MAX_ELF || vki_strlen(path) >= PATH_MAX)
		return NULL;
	struct elf_file *e = &elves[nelves++];
	vki_strcpy(e->path, path);
	e->failed = !elf_load(e);
	return e->failed ? NULL : e;
}

/* The function symbol containing module-relative address v. */
static bool elf_lookup(struct elf_file *e, uintptr_t v, const char **name, uintptr_t *start,
		       size_t *size)
{
	const ElfW(Sym) *hit = NULL;
	for (size_t i = 0; i < e->nsyms; i++) {
		const ElfW(Sym) *s = &e->syms[i];
		int type = ELF64_ST_TYPE(s->st_info);
		if ((type != STT_FUNC && type != STT_GNU_IFUNC) || s->st_shndx == SHN_UNDEF)
			continue;
		if (v - s->st_value < s->st_size && s->st_name < e->strs_len) {
			hit = s;
			if (ELF64_ST_BIND(s->st_info) != STB_LOCAL)
				break; /* prefer the global name of an alias */
		}
	}
	if (!hit)
		return false;
	*name = e->strs + hit->st_name;
	*start = hit->st_value;
	*size = hit->st_size;
	return true;
}

/* ------------------------------------------------------------ the cache */

/*
 * Results of the last batch: one entry per lookup address.  Reports print
 * at most three stacks of 64 frames.
 */
#define CACHE_SIZE 256
#define WHERE_LEN 200
#define FUNC_LEN 128

struct sym_entry {
	uintptr_t addr;        /* lookup address: pc, or return address - 1 */
	char where[WHERE_LEN]; /* "file:line", empty if unknown */
	char func[FUNC_LEN];   /* the tool's function name, empty if unknown */
};

static struct sym_entry cache[CACHE_SIZE];
static int ncache;
/* One batch's questions for the symbolizer; answers land in the cache. */
static struct vki_sym_query queries[CACHE_SIZE];
_Static_assert(CACHE_SIZE <= VKI_SYMBOLIZER_MAX, "a whole batch fits one query");

void vki_symbolize_reset(void)
{
	ncache = 0;
}

static struct sym_entry *cache_find(uintptr_t addr)
{
	for (int i = 0; i < ncache; i++)
		if (cache[i].addr == addr)
			return &cache[i];
	return NULL;
}

static uintptr_t lookup_addr(uintptr_t pc, bool exact)
{
	/* A return address may point past a call at the very end of a function
	 * (noreturn callee): look up the call instruction instead. */
	return exact ? pc : pc - 1;
}

/*
 * Symbolize the frames of one report in one go.  frames[0] is an exact pc
 * when first_exact (a faulting instruction), every other frame a return
 * address.  Results stay cached until vki_symbolize_reset.
 */
void vki_symbolize_batch(const uintptr_t *frames, int n, bool first_exact)
{
	int saved_errno = errno; /* the program may go on (halt_on_error=0) */
	int first = ncache;
	for (int i = 0; i < n && ncache < CACHE_SIZE; i++) {
		uintptr_t a = lookup_addr(frames[i], first_exact && i == 0);
		if (cache_find(a))
			continue;
		cache[ncache].addr = a;
		cache[ncache].where[0] = 0;
		cache[ncache].func[0] = 0;
		ncache++;
	}
	if (ncache == first || !vki_opt.symbolize)
		return;
	int nq = 0;
	for (int i = first; i < ncache; i++) {
		struct module m;
		if (!find_module(cache[i].addr, &m) || !m.path)
			continue;
		queries[nq++] = (struct vki_sym_query){
			.module = m.path,
			.offset = cache[i].addr - m.bias,
			.func = cache[i].func,
			.func_size = sizeof(cache[i].func),
			.where = cache[i].where,
			.where_size = sizeof(cache[i].where),
		};
	}
	vki_symbolizer_query(queries, nq);
	errno = saved_errno;
}

/*
 * "function+0xoff/0xsize" for pc, from the symbol table; else the tool's
 * function name; else "0xpc [module+0xoff]" or "0xpc".  Returns true when a
 * function name was found.
 */
bool vki_symbolize_function(uintptr_t pc, bool exact, char *buf, size_t size)
{
	uintptr_t a = lookup_addr(pc, exact);
	struct module m;
	bool have_mod = find_module(a, &m);
	if (have_mod && m.path) {
		struct elf_file *e = elf_get(m.path);
		const char *name;
		uintptr_t start;
		size_t fsize;
		if (e && elf_lookup(e, a - m.bias, &name, &start, &fsize)) {
			vki_snprintf(buf, size, "%s+0x%lx/0x%lx", name,
				     (unsigned long)(pc - m.bias - start), (unsigned long)fsize);
			return true;
		}
	}
	struct sym_entry *c = cache_find(a);
	if (c && c->func[0]) {
		vki_snprintf(buf, size, "%s", c->func);
		return true;
	}
	if (have_mod)
		vki_snprintf(buf, size, "0x%lx [%s+0x%lx]", (unsigned long)pc, m.name,
			     (unsigned long)(pc - m.bias));
	else
		vki_snprintf(buf, size, "0x%lx", (unsigned long)pc);
	return false;
}

void vki_print_frames_ex(const uintptr_t *frames, int n, bool first_exact)
{
	vki_symbolize_batch(frames, n, first_exact);
	for (int i = 0; i < n; i++) {
		bool exact = first_exact && i == 0;
		char fn[FUNC_LEN + 64];
		vki_symbolize_function(frames[i], exact, fn, sizeof(fn));
		struct sym_entry *c = cache_find(lookup_addr(frames[i], exact));
		if (c && c->where[0])
			vki_report_printf(" %s %s\n", fn, c->where);
		else
			vki_report_printf(" %s\n", fn);
	}
}

void vki_print_frames(const uintptr_t *frames, int n)
{
	vki_print_frames_ex(frames, n, false);
}

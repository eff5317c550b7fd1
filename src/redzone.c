/*
 * redzone.c - stack and global redzones (inline mode), and what a report
 * says about an address outside the arena.
 *
 * With stack instrumentation (vkasan-cc --inline) the compiler lays out
 * each frame with redzones and poisons them itself, with inline shadow
 * stores:
 *
 *   frame base                                                  higher
 *   | F1 x4 (32 bytes: magic, description, pc) | var | F2 .. | var | F3 |
 *
 * and calls the runtime only for the rest: dynamic allocas
 * (__asan_alloca_poison, CA left, CB right), large shadow runs
 * (__asan_set_shadow_XX, given a shadow address), scopes (F8 outside the
 * arena is stack-use-after-scope, see the code table in vk_internal.h), and
 * __asan_handle_no_return before longjmp/exit and other calls that do not
 * return, after which the frames they abandon must not stay poisoned.
 *
 * Globals: each instrumented translation unit registers its globals from
 * a constructor, __asan_register_globals(array, n); the compiler has put a
 * redzone after each one, and we poison it F9 (global-out-of-bounds).  The
 * registrations are kept (in our own pages, never malloc) so that a report
 * can name the variable.
 *
 * All of this needs shadow for the whole address space (fullshadow.c); in
 * an outline-only program the entry points do nothing.
 */
#include "vk_internal.h"

#define FRAME_MAGIC 0x41B58AB3UL /* first word of an instrumented frame */
#define ALLOCA_REDZONE 32UL      /* the compiler's alloca redzone and alignment */
#define MAX_NO_RETURN (64UL << 20) /* larger "stacks" are not stacks: leave them */

/* struct asan_global: the compiler ABI section of vk_internal.h. */

static inline uint8_t *shadow_of(uintptr_t a)
{
	return (uint8_t *)vki_mem_to_shadow(a);
}

static inline bool on(void)
{
	return __atomic_load_n(&vki_fullshadow_on, __ATOMIC_ACQUIRE);
}

/* ------------------------------------------------------------ globals */

struct registration {
	const struct asan_global *g;
	size_t n;
};

static vki_spin_t reg_lock = VKI_SPIN_INIT; /* lock #5 */
static struct registration *regs; /* in pages of our own */
static size_t nregs, reg_cap;

static void reg_acquire(void)
{
	vki_spin_lock(&reg_lock);
}

/* A report may run while another thread registers (dlopen): do not wait
 * for ever, describe without the registry instead. */
static bool reg_try_acquire(void)
{
	for (int i = 0; i < 1000000; i++)
		if (vki_spin_trylock(&reg_lock))
			return true;
	return false;
}

static void reg_release(void)
{
	vki_spin_unlock(&reg_lock);
}

static bool reg_add(const struct asan_global *g, size_t n)
{
	if (nregs == reg_cap) {
		size_t cap = reg_cap ? 2 * reg_cap : VKI_PAGE_SIZE / sizeof(*regs);
		struct registration *r = vki_os_map_anywhere(cap * sizeof(*r), VKI_OS_META);
		if (!r)
			return false;
		vki_copy(r, regs, nregs * sizeof(*r));
		if (regs)
			vki_os_unmap(regs, reg_cap * sizeof(*r));
		regs = r;
		reg_cap = cap;
	}
	regs[nregs].g = g;
	regs[nregs].n = n;
	nregs++;
	return true;
}

static void reg_remove(const struct asan_global *g)
{
	for (size_t i = 0; i < nregs; i++)
		if (regs[i].g == g) {
			regs[i] = regs[--nregs];
			return;
		}
}

/* Variable accessible, partial last granule included; redzone after it F9. */
static void poison_global(const struct asan_global *g)
{
	if ((g->beg & (VKI_GRANULE - 1)) || g->size_with_redzone < g->size)
		return; /* not a layout we know: leave it accessible */
	uintptr_t end = g->beg + g->size, rz_end = g->beg + g->size_with_redzone;
	vki_fill(shadow_of(g->beg), 0, g->size >> VKI_GRANULE_SHIFT);
	uintptr_t rz = VKI_ROUND_UP(end, VKI_GRANULE);
	if (end & (VKI_GRANULE - 1))
		*shadow_of(end) = (uint8_t)(end & (VKI_GRANULE - 1));
	if (rz_end > rz)
		vki_fill(shadow_of(rz), VKI_SHADOW_GLOBAL_REDZONE,
			 (VKI_ROUND_DOWN(rz_end, VKI_GRANULE) - rz) >> VKI_GRANULE_SHIFT);
}

VKI_EXPORT void __asan_register_globals(const struct asan_global *g, size_t n)
{
	if (!on() || !g)
		return;
	for (size_t i = 0; i < n; i++)
		poison_global(&g[i]);
	reg_acquire();
	bool ok = reg_add(g, n);
	reg_release();
	if (!ok && vki_opt.verbosity)
		vki_printf("vkasan: no memory to remember %zu globals of %s\n", n,
			   n ? g[0].module_name : "?");
}

/* At exit (or dlclose): the memory may be reused, so make it accessible. */
VKI_EXPORT void __asan_unregister_globals(const struct asan_global *g, size_t n)
{
	if (!on() || !g)
		return;
	reg_acquire();
	reg_remove(g);
	reg_release();
	for (size_t i = 0; i < n; i++)
		if (!(g[i].beg & (VKI_GRANULE - 1)) && g[i].size_with_redzone >= g[i].size)
			vki_fill(shadow_of(g[i].beg), 0,
				 VKI_ROUND_UP(g[i].size_with_redzone, VKI_GRANULE) >> VKI_GRANULE_SHIFT);
}

/* C++ dynamic initialisation order checking: not supported, accepted. */
VKI_EXPORT void __asan_before_dynamic_init(const char *module_name)
{
}

VKI_EXPORT void __asan_after_dynamic_init(void)
{
}

/* ------------------------------------------------------------ stack */

/*
 * alloca(size) at addr (32-byte aligned): the compiler reserved 32 bytes
 * below it and, above it, up to the next 32-byte boundary plus 32 more.
 */
VKI_EXPORT void __asan_alloca_poison(uintptr_t addr, size_t size)
{
	if (!on())
		return;
	uintptr_t end = addr + size;
	uintptr_t rz_end = VKI_ROUND_UP(end, ALLOCA_REDZONE) + ALLOCA_REDZONE;
	vki_fill(shadow_of(addr - ALLOCA_REDZONE), VKI_SHADOW_ALLOCA_LEFT,
		 ALLOCA_REDZONE >> VKI_GRANULE_SHIFT);
	vki_fill(shadow_of(addr), 0, size >> VKI_GRANULE_SHIFT);
	uintptr_t g = VKI_ROUND_DOWN(end, VKI_GRANULE);
	if (end & (VKI_GRANULE - 1)) {
		*shadow_of(g) = (uint8_t)(end & (VKI_GRANULE - 1));
		g += VKI_GRANULE;
	}
	vki_fill(shadow_of(g), VKI_SHADOW_ALLOCA_RIGHT, (rz_end - g) >> VKI_GRANULE_SHIFT);
}

/* The allocas of a frame, [top, bottom), go away (function exit, or a
 * stack restore in a loop). */
VKI_EXPORT void __asan_allocas_unpoison(uintptr_t top, uintptr_t bottom)
{
	if (!on() || !top || top > bottom)
		return;
	vki_fill(shadow_of(top), 0, (bottom - top) >> VKI_GRANULE_SHIFT);
}

/* Large frames: the compiler hands over a shadow address and a length. */
#define VKI_DEFINE_SET_SHADOW(xx)                                               \
	VKI_EXPORT void __asan_set_shadow_##xx(uintptr_t shadow, size_t n)      \
	{                                                                       \
		vki_fill((void *)shadow, 0x##xx, n);                             \
	}
VKI_DEFINE_SET_SHADOW(00)
VKI_DEFINE_SET_SHADOW(f1)
VKI_DEFINE_SET_SHADOW(f2)
VKI_DEFINE_SET_SHADOW(f3)
VKI_DEFINE_SET_SHADOW(f5)
VKI_DEFINE_SET_SHADOW(f8)

/* Scopes, for compilers that call rather than store inline. */
VKI_EXPORT void __asan_poison_stack_memory(uintptr_t addr, size_t size)
{
	if (!on())
		return;
	vki_fill(shadow_of(addr), VKI_SHADOW_STACK_USE_AFTER_SCOPE,
		 VKI_ROUND_UP(size, VKI_GRANULE) >> VKI_GRANULE_SHIFT);
}

VKI_EXPORT void __asan_unpoison_stack_memory(uintptr_t addr, size_t size)
{
	if (!on())
		return;
	vki_fill(shadow_of(addr), 0, size >> VKI_GRANULE_SHIFT);
	if (size & (VKI_GRANULE - 1))
		*shadow_of(addr + size) = (uint8_t)(size & (VKI_GRANULE - 1));
}

/*
 * This thread's stack: the mapping that holds the stack pointer, asked of
 * /proc/self/maps once per thread (and again when the stack grows below
 * it, or the call comes from another stack such as a signal stack).
 */
static bool stack_bounds(uintptr_t sp, uintptr_t *lo, uintptr_t *hi)
{
	struct vki_thread *t = vki_self();
	if (sp < t->stack_lo || sp >= t->stack_hi) {
		uintptr_t l, h;
		if (vki_os_find_mapping(sp, &l, &h))
			return false;
		t->stack_lo = l;
		t->stack_hi = h;
	}
	*lo = t->stack_lo;
	*hi = t->stack_hi;
	return true;
}

/*
 * A call that does not return (longjmp, exit, a throw) abandons the frames
 * between here and where control goes next, with their redzones poisoned.
 * We do not know where that is, so unpoison everything from here to the top
 * of the stack: frames above us are live and keep working (their redzones
 * go unchecked until they return), and nothing stale stays behind.
 */
VKI_EXPORT void __asan_handle_no_return(void)
{
	if (!on())
		return;
	uintptr_t sp = VKI_ROUND_DOWN((uintptr_t)__builtin_frame_address(0), VKI_GRANULE);
	uintptr_t lo, hi;
	if (vki_in_arena(sp)) { /* an arena stack (stack.c): its own bounds */
		if (vki_stack_bounds(sp, &lo, &hi))
			vki_stack_clear_shadow(sp, hi);
		return;
	}
	if (!stack_bounds(sp, &lo, &hi) || hi - sp > MAX_NO_RETURN)
		return;
	vki_fill(shadow_of(sp), 0, (hi - sp) >> VKI_GRANULE_SHIFT);
}

/* ------------------------------------------------------------ reports */

#define P vki_report_printf

static void print_global(uintptr_t addr, const struct asan_global *g)
{
	P("The buggy address belongs to the variable:\n");
	P(" %s+0x%lx/0x%lx\n\n", g->name, (unsigned long)(addr - g->beg), (unsigned long)g->size);
	uintptr_t end = g->beg + g->size;
	if (addr >= end)
		P("The buggy address is located %lu bytes to the right of\n",
		  (unsigned long)(addr - end));
	else
		P("The buggy address is located %lu bytes inside of\n",
		  (unsigned long)(addr - g->beg));
	P(" %lu-byte global variable '%s' [0x%lx, 0x%lx)", (unsigned long)g->size, g->name,
	  (unsigned long)g->beg, (unsigned long)end);
	if (g->location && g->location->filename)
		P(" defined at %s:%d", g->location->filename, g->location->line);
	else if (g->module_name)
		P(" defined in %s", g->module_name);
	P("\n\n");
}

static bool describe_global(uintptr_t addr)
{
	if (!reg_try_acquire())
		return false;
	const struct asan_global *found = NULL;
	for (size_t i = 0; i < nregs && !found; i++)
		for (size_t k = 0; k < regs[i].n; k++) {
			const struct asan_global *g = &regs[i].g[k];
			if (addr - g->beg < g->size_with_redzone) {
				found = g;
				break;
			}
		}
	reg_release();
	if (found)
		print_global(addr, found);
	return found != NULL;
}

static const char *parse_num(const char *s, unsigned long *out)
{
	unsigned long v = 0;
	int digits = 0;
	while (*s == ' ')
		s++;
	for (; *s >= '0' && *s <= '9' && digits < 19; s++, digits++)
		v = v * 10 + (unsigned long)(*s - '0');
	*out = v;
	return digits ? s : NULL;
}

/*
 * The compiler's frame description: "N off size len name[:line] ...".
 * Printed as the kernel does: " [off, off + size) 'name'", line stripped.
 */
static void print_frame_objects(const char *d)
{
	unsigned long n;
	if (!(d = parse_num(d, &n)) || n == 0 || n > 1000)
		return;
	P("\nThis frame has %lu %s:\n", n, n == 1 ? "object" : "objects");
	for (unsigned long i = 0; i < n; i++) {
		unsigned long off, size, len;
		if (!(d = parse_num(d, &off)) || !(d = parse_num(d, &size)) ||
		    !(d = parse_num(d, &len)) || *d != ' ' || len > 256)
			return;
		d++;
		int shown = 0;
		while (shown < (int)len && d[shown] && d[shown] != ':')
			shown++;
		P(" [%lu, %lu) '%.*s'\n", off, off + size, shown, d);
		for (unsigned long k = 0; k < len; k++)
			if (!*d++)
				return;
	}
}

/*
 * Find the frame: walk the shadow down from the bad granule to the frame's
 * left redzone (F1), then to its first granule, the frame base, where the
 * compiler stored the magic word, the description and the function.
 */
/* A shadow byte for the frame walk: the full shadow, or a backed window of
 * an arena stack (stack.c). */
static bool shadow_at(uintptr_t a, uint8_t *out)
{
	if (vki_in_arena(a))
		return vki_shadow_peek(a, out);
	return vki_fullshadow_peek(a, out);
}

static bool describe_stack(uintptr_t addr, uintptr_t bad, uint8_t code)
{
	uintptr_t lo, hi, mlo, mhi;
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
	bool ours;
	if (vki_in_arena(addr)) { /* a thread or fiber stack in the arena */
		if (!vki_stack_bounds(addr, &lo, &hi))
			return false;
		ours = vki_stack_bounds(sp, &mlo, &mhi) && mlo == lo;
		if (!ours) { /* a fault report runs on the signal stack */
			char here;
			ours = (uintptr_t)&here - hi < (1UL << 20);
		}
	} else {
		if (vki_os_find_mapping(addr, &lo, &hi))
			return false;
		ours = !vki_os_find_mapping(sp, &mlo, &mhi) && mlo == lo && mhi == hi;
	}
	char name[32];
	vki_os_thread_name(name, sizeof(name));
	if (ours)
		P("The buggy address belongs to stack of task %s/%d\n", name, vki_os_gettid());
	else
		P("The buggy address belongs to the stack of another task\n");

	if (code == VKI_SHADOW_ALLOCA_LEFT || code == VKI_SHADOW_ALLOCA_RIGHT) {
		P(" (a dynamic alloca)\n\n");
		return true;
	}
	uintptr_t g = VKI_ROUND_DOWN(bad, VKI_GRANULE);
	uint8_t v = 0;
	while (g >= lo + VKI_GRANULE && shadow_at(g, &v) && v != VKI_SHADOW_STACK_LEFT)
		g -= VKI_GRANULE;
	while (g >= lo + VKI_GRANULE && shadow_at(g - VKI_GRANULE, &v) &&
	       v == VKI_SHADOW_STACK_LEFT)
		g -= VKI_GRANULE;
	const uintptr_t *frame = (const uintptr_t *)g;
	if (!shadow_at(g, &v) || v != VKI_SHADOW_STACK_LEFT || g + 3 * sizeof(uintptr_t) > hi ||
	    frame[0] != FRAME_MAGIC) {
		P("\n");
		return true;
	}
	char fn[256];
	vki_symbolize_function(frame[2], true, fn, sizeof(fn));
	P(" and is located at offset %lu in frame:\n %s\n", (unsigned long)(addr - g), fn);
	if (frame[1])
		print_frame_objects((const char *)frame[1]);
	P("\n");
	return true;
}

bool vki_redzone_describe(uintptr_t addr, uintptr_t bad)
{
	uint8_t code;
	if (!vki_fullshadow_on || !shadow_at(bad, &code))
		return false;
	if (code && code < VKI_GRANULE && !shadow_at(bad + VKI_GRANULE, &code))
		return false;
	/* In the arena only a live stack has frames (stack.c). */
	uintptr_t lo, hi;
	if (vki_in_arena(addr) && !vki_stack_bounds(addr, &lo, &hi))
		return false;
	switch (code) {
	case VKI_SHADOW_GLOBAL_REDZONE:
		return describe_global(addr);
	case VKI_SHADOW_STACK_LEFT:
	case VKI_SHADOW_STACK_MID:
	case VKI_SHADOW_STACK_RIGHT:
	case VKI_SHADOW_STACK_USE_AFTER_SCOPE:
	case VKI_SHADOW_STACK_USE_AFTER_RETURN:
	case VKI_SHADOW_ALLOCA_LEFT:
	case VKI_SHADOW_ALLOCA_RIGHT:
		return describe_stack(addr, bad, code);
	default:
		return false;
	}
}

/* ------------------------------------------------------------ owner hooks */

/*
 * The owner "outside the arena": stack frames and globals of inline-
 * instrumented code, described from the full shadow.  0xF8 means "after
 * scope" here, and a partial granule takes its meaning from the redzone
 * that follows it.
 */
static const char *outside_type(uint8_t code)
{
	return code == VKI_SHADOW_STACK_USE_AFTER_SCOPE ? "stack-use-after-scope"
							: vki_bug_type(true, code);
}

static void outside_describe(struct vki_desc *d)
{
	if (d->kind != VKI_BUG_ACCESS || !d->present)
		return;
	if (d->code >= 1 && d->code <= 7) {
		uint8_t next = 0;
		if (vki_fullshadow_peek(d->bad + VKI_GRANULE, &next) && (next & 0x80))
			d->bug_type = outside_type(next);
		else
			d->bug_type = "unknown-crash";
	} else {
		d->bug_type = outside_type(d->code);
	}
}

static void outside_print(const struct vki_desc *d)
{
	if (d->kind == VKI_BUG_ACCESS && vki_redzone_describe(d->addr, d->bad))
		return;
	P("The buggy address is outside the vmalloc arena [0x%lx, 0x%lx)\n\n",
	  (unsigned long)vki_arena_base, (unsigned long)vki_arena_end);
}

const struct vki_owner_ops vki_outside_ops = {
	.name = "outside",
	.describe = outside_describe,
	.print = outside_print,
};

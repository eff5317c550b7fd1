/*
 * fullshadow.c - inline mode: shadow for the whole address space.
 *
 * An outline check calls the runtime for every access, and the runtime
 * answers "not mine" for anything outside the arena, so only the arena needs
 * shadow.  An inline check reads shadow(a) itself, for every address the
 * program touches: stack, globals, heap, libraries.  A program built with
 * `vkasan-cc --inline` therefore gets AddressSanitizer's x86_64 layout,
 * mapped before any of its code runs (vki_fullshadow_init, called from the
 * .preinit_array entry of the inline link object vkasan-inline.o that the
 * wrapper adds to the link):
 *
 *   range                                 mapping
 *   ------------------------------------  ----------------------------------
 *   [0x00007fff8000, 0x00008fff7000)      low shadow: zero, RW, NORESERVE
 *   [0x00008fff7000, 0x02008fff7000)      shadow gap: PROT_NONE
 *   [0x02008fff7000, 0x0c007fff8000)      high shadow below the arena's
 *   [0x0c007fff8000, 0x0c207fff8000)      the arena's shadow: NOT mapped here
 *   [0x0c207fff8000, 0x10007fff8000)      high shadow above the arena's
 *
 * Zero means accessible: memory vkasan does not manage is valid unless the
 * compiler (stack redzones) or redzone.c (global redzones) poisons it.  The
 * mappings are virtual: NORESERVE, no huge pages, so a page of shadow is
 * backed only once something writes it (a trivial program stays at a few
 * hundred KiB of RSS).
 *
 * The arena's shadow keeps the dynamic life cycle of shadow.c: reserved by
 * vki_shadow_init with MAP_FIXED_NOREPLACE in the hole left here, backed
 * per window, absent pages fault.  An inline check that reads absent arena
 * shadow therefore faults, and signal.c turns the fault into a report on
 * the granule that shadow describes.  Order: the preinit entry maps
 * everything but the hole (128 GiB, the shadow of the largest arena);
 * vki_init reserves the arena's part of it and then calls
 * vki_fullshadow_arena_ready(), which maps the rest of the hole (an arena
 * smaller than 1 TiB leaves some; a failed arena leaves all of it) as zero
 * shadow like any other, and, with shadow=0, makes the arena's shadow
 * accessible (the allocator alone: nothing is checked there).
 *
 * Outside the arena, checks that the runtime makes (memcpy and friends,
 * and the outline entry points if outline objects are linked in) consult
 * this shadow too once it exists (vki_fullshadow_check).
 */
#include "vk_internal.h"


#define LOW_SHADOW_BEG VKI_LOW_SHADOW_BEG /* the layout: vk_mapping.h */
#define LOW_SHADOW_END VKI_LOW_SHADOW_END
#define HIGH_SHADOW_BEG VKI_HIGH_SHADOW_BEG
#define HIGH_SHADOW_END VKI_HIGH_SHADOW_END
#define LOW_MEM_END VKI_LOW_MEM_END
#define HIGH_MEM_BEG VKI_HIGH_MEM_BEG
#define HIGH_MEM_END VKI_HIGH_MEM_END
/* The shadow of the largest arena: shadow.c's, never mapped here. */
#define HOLE_BEG (VKI_ARENA_BASE / VKI_GRANULE + VKI_SHADOW_OFFSET)
#define HOLE_END ((VKI_ARENA_BASE + VKI_ARENA_MAX) / VKI_GRANULE + VKI_SHADOW_OFFSET)

bool vki_fullshadow_on;
static bool hole_done; /* the rest of the hole is mapped (or given up) */

static void map_or_die(uintptr_t beg, uintptr_t end, bool accessible, const char *what)
{
	if (vki_os_map_shadow(beg, end - beg, accessible))
		vki_die("vkasan: inline mode: cannot map the %s [%p, %p): the range is taken "
			"or the address space is limited (ulimit -v); inline-instrumented code "
			"cannot run without it\n",
			what, (void *)beg, (void *)end);
}

/* Map the part of the hole the arena does not use ([0, 0): none). */
static void map_hole_rest(uintptr_t arena_shadow_beg, uintptr_t arena_shadow_end)
{
	if (hole_done)
		return;
	hole_done = true;
	if (arena_shadow_beg > HOLE_BEG &&
	    vki_os_map_shadow(HOLE_BEG, arena_shadow_beg - HOLE_BEG, true))
		vki_printf("vkasan: warning: cannot map shadow [%p, %p)\n", (void *)HOLE_BEG,
			   (void *)arena_shadow_beg);
	if (arena_shadow_end < HOLE_END &&
	    vki_os_map_shadow(arena_shadow_end, HOLE_END - arena_shadow_end, true))
		vki_printf("vkasan: warning: cannot map shadow [%p, %p)\n",
			   (void *)arena_shadow_end, (void *)HOLE_END);
}

/* Exported: the inline link object's .preinit_array entry calls it. */
VKI_EXPORT void vki_fullshadow_init(void)
{
	if (vki_fullshadow_on)
		return;
	map_or_die(LOW_SHADOW_BEG, LOW_SHADOW_END, true, "low shadow");
	map_or_die(LOW_SHADOW_END, HIGH_SHADOW_BEG, false, "shadow gap");
	map_or_die(HIGH_SHADOW_BEG, HOLE_BEG, true, "high shadow");
	map_or_die(HOLE_END, HIGH_SHADOW_END, true, "high shadow");
	__atomic_store_n(&vki_fullshadow_on, true, __ATOMIC_RELEASE);
	/* Only if something set the arena up before us (it normally comes
	 * later, from a constructor or the first vk_vmalloc). */
	uintptr_t base = __atomic_load_n(&vki_arena_base, __ATOMIC_ACQUIRE);
	if (base)
		vki_fullshadow_arena_ready(true);
}

void vki_fullshadow_arena_ready(bool arena_ok)
{
	if (!vki_fullshadow_on)
		return;
	if (!arena_ok) {
		map_hole_rest(HOLE_END, HOLE_END); /* all of it */
		return;
	}
	uintptr_t sb = vki_mem_to_shadow(vki_arena_base), se = vki_mem_to_shadow(vki_arena_end);
	map_hole_rest(sb, se);
	/* shadow=0: no shadow life cycle, so inline checks must find the
	 * arena accessible (its shadow is reserved PROT_NONE, never backed). */
	if (!vki_opt.shadow && vki_os_commit(sb, se - sb, false))
		vki_printf("vkasan: warning: shadow=0: cannot make the arena's shadow "
			   "accessible; inline checks on vk_vmalloc memory will fault\n");
}

/* Application memory (not shadow, not the gap), outside the arena. */
static inline bool app_outside_arena(uintptr_t a)
{
	return (a < LOW_MEM_END || (a >= HIGH_MEM_BEG && a < HIGH_MEM_END)) && !vki_in_arena(a);
}

bool vki_fullshadow_peek(uintptr_t addr, uint8_t *out)
{
	if (!__atomic_load_n(&vki_fullshadow_on, __ATOMIC_ACQUIRE) || !app_outside_arena(addr))
		return false;
	*out = *(volatile uint8_t *)vki_mem_to_shadow(addr);
	return true;
}

void vki_fullshadow_check(uintptr_t a, size_t size, bool is_write, uintptr_t pc)
{
	if (!size)
		return;
	uintptr_t last = a + size - 1;
	/* Both ends in one application range (low or high memory). */
	if (last < a || !app_outside_arena(a) || !app_outside_arena(last) ||
	    ((a < LOW_MEM_END) != (last < LOW_MEM_END)))
		return;
	const uint8_t *s = (const uint8_t *)vki_mem_to_shadow(a);
	const uint8_t *sl = (const uint8_t *)vki_mem_to_shadow(last);
	if (!vki_shadow_run_nonzero(s, sl) && !vki_granule_bad(*sl, last))
		return;
	vki_report_access(a, size, is_write, pc);
}

/*
 * An inline check that reads released arena shadow: the fault handler
 * finishes the shadow read as if it said 0xF8 (the instruction decoding is
 * in arch_x86_64.c) and resumes, so the check reports the exact access.
 */
bool vki_fullshadow_resume(void *ucontext, uintptr_t fault)
{
	if (!vki_fullshadow_on || !vki_arena_base || vki_in_arena(fault) ||
	    !vki_in_arena_shadow(fault))
		return false;
	return vki_arch_finish_shadow_read(ucontext, fault, VKI_SHADOW_VMALLOC_INVALID);
}

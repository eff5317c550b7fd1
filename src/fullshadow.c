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

#include <signal.h>
#include <ucontext.h>

#define LOW_SHADOW_BEG 0x00007fff8000UL
#define LOW_SHADOW_END 0x00008fff7000UL
#define HIGH_SHADOW_BEG 0x02008fff7000UL
#define HIGH_SHADOW_END 0x10007fff8000UL
#define LOW_MEM_END 0x00007fff8000UL     /* [0, LOW_MEM_END): low memory */
#define HIGH_MEM_BEG 0x10007fff8000UL    /* [HIGH_MEM_BEG, HIGH_MEM_END) */
#define HIGH_MEM_END 0x800000000000UL
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

/* Shadow bytes [s, e) all zero?  Eight at a time in the middle. */
static bool run_zero(const uint8_t *s, const uint8_t *e)
{
	while (s < e && ((uintptr_t)s & 7))
		if (*s++)
			return false;
	for (; s + 8 <= e; s += 8)
		if (*(const uint64_t *)s)
			return false;
	for (; s < e; s++)
		if (*s)
			return false;
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
	int8_t v = (int8_t)*sl;
	if (run_zero(s, sl) && (!v || (int8_t)(last & 7) < v))
		return;
	vki_report_access(a, size, is_write, pc);
}

/* ------------------------------------------------------------------------
 * An inline check that reads released arena shadow.
 *
 * The check is a shadow load (or a compare against memory) followed by a
 * branch to __asan_report_*.  When the shadow page is absent the load
 * faults.  Rather than reporting the fault, which knows only the granule
 * and not the access's size or direction and cannot continue, the fault
 * handler finishes the one instruction as if the shadow said 0xF8 (poison)
 * and resumes: the check then calls __asan_report_* with the exact address
 * and size, whose re-check in check.c finds the window absent and reports
 * as an outline check would, halt_on_error=0 included.
 *
 * Only the shapes gcc and clang emit for shadow reads are finished, and
 * only when the instruction's memory operand is the faulting shadow byte:
 *   MOV r8/r16/32/64, m (8A, 8B)      MOVZX/MOVSX r, m8/m16 (0F B6 B7 BE BF)
 *   CMP m, imm (80 /7, 81 /7, 83 /7)  CMP m, r / r, m (38 39 3A 3B)
 *   TEST m, r (84 85), TEST m, imm (F6 /0, F7 /0)
 * Anything else is left to the fault report.
 * ------------------------------------------------------------------------ */
static const int greg_of[16] = { REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP,
				  REG_RSI, REG_RDI, REG_R8,  REG_R9,  REG_R10, REG_R11,
				  REG_R12, REG_R13, REG_R14, REG_R15 };

/* Register r as an operand of `bytes` bytes (rex: a REX prefix is present,
 * so 4..7 are SPL..DIL rather than AH..BH). */
static uint64_t reg_get(const greg_t *g, int r, int bytes, bool rex)
{
	if (bytes == 1 && !rex && r >= 4 && r < 8)
		return ((uint64_t)g[greg_of[r - 4]] >> 8) & 0xff;
	uint64_t v = (uint64_t)g[greg_of[r]];
	return bytes == 8 ? v : v & ((1ULL << (8 * bytes)) - 1);
}

/* Write as the CPU does: 8 and 16 bits keep the rest, 32 bits zero it. */
static void reg_set(greg_t *g, int r, int bytes, bool rex, uint64_t v)
{
	if (bytes == 1 && !rex && r >= 4 && r < 8) {
		uint64_t *p = (uint64_t *)&g[greg_of[r - 4]];
		*p = (*p & ~0xff00ULL) | ((v & 0xff) << 8);
		return;
	}
	uint64_t *p = (uint64_t *)&g[greg_of[r]];
	if (bytes == 1)
		*p = (*p & ~0xffULL) | (v & 0xff);
	else if (bytes == 2)
		*p = (*p & ~0xffffULL) | (v & 0xffff);
	else if (bytes == 4)
		*p = v & 0xffffffffULL;
	else
		*p = v;
}

#define EFL_MASK 0x8d5UL /* CF PF AF ZF SF OF */

static void set_flags(greg_t *g, uint64_t res, uint64_t cf_of_af, int bytes)
{
	uint64_t mask = bytes == 8 ? ~0ULL : (1ULL << (8 * bytes)) - 1;
	res &= mask;
	uint64_t f = cf_of_af;
	if (!(__builtin_popcount((unsigned)(res & 0xff)) & 1))
		f |= 1UL << 2; /* PF: even number of bits in the low byte */
	if (!res)
		f |= 1UL << 6;
	if ((res >> (8 * bytes - 1)) & 1)
		f |= 1UL << 7;
	g[REG_EFL] = (greg_t)(((uint64_t)g[REG_EFL] & ~EFL_MASK) | f);
}

static void flags_sub(greg_t *g, uint64_t a, uint64_t b, int bytes)
{
	uint64_t mask = bytes == 8 ? ~0ULL : (1ULL << (8 * bytes)) - 1;
	a &= mask;
	b &= mask;
	uint64_t res = (a - b) & mask, f = 0;
	int top = 8 * bytes - 1;
	if (a < b)
		f |= 1UL << 0;
	if ((a ^ b ^ res) & 0x10)
		f |= 1UL << 4;
	if ((((a ^ b) & (a ^ res)) >> top) & 1)
		f |= 1UL << 11;
	set_flags(g, res, f, bytes);
}

/* Decoded memory operand: effective address and instruction length. */
struct insn {
	const uint8_t *p; /* next byte to decode */
	int reg;          /* ModRM.reg (with REX.R) */
	uintptr_t ea;     /* the memory operand's address */
};

/* ModRM with a memory operand (mod != 3); false on anything else. */
static bool decode_modrm(struct insn *in, const greg_t *g, int rex)
{
	uint8_t m = *in->p++;
	int mod = m >> 6, rm = m & 7;
	in->reg = ((m >> 3) & 7) | ((rex & 4) << 1);
	if (mod == 3)
		return false;
	uintptr_t ea;
	if (rm == 4) { /* SIB */
		uint8_t sib = *in->p++;
		int scale = sib >> 6, index = ((sib >> 3) & 7) | ((rex & 2) << 2);
		int basereg = (sib & 7) | ((rex & 1) << 3);
		if ((sib & 7) == 5 && mod == 0) {
			ea = (uintptr_t)(intptr_t)*(const int32_t *)in->p;
			in->p += 4;
		} else {
			ea = (uintptr_t)g[greg_of[basereg]];
		}
		if (index != 4)
			ea += (uintptr_t)g[greg_of[index]] << scale;
	} else if (rm == 5 && mod == 0) {
		return false; /* RIP-relative: never shadow */
	} else {
		ea = (uintptr_t)g[greg_of[rm | ((rex & 1) << 3)]];
	}
	if (mod == 1) {
		ea += (uintptr_t)(intptr_t)*(const int8_t *)in->p;
		in->p += 1;
	} else if (mod == 2) {
		ea += (uintptr_t)(intptr_t)*(const int32_t *)in->p;
		in->p += 4;
	}
	in->ea = ea;
	return true;
}

static int64_t imm(struct insn *in, int bytes)
{
	int64_t v = bytes == 1 ? *(const int8_t *)in->p
		  : bytes == 2 ? *(const int16_t *)in->p : *(const int32_t *)in->p;
	in->p += bytes;
	return v;
}

bool vki_fullshadow_resume(void *ucontext, uintptr_t fault)
{
	if (!vki_fullshadow_on || !vki_arena_base || vki_in_arena(fault) ||
	    fault < vki_mem_to_shadow(vki_arena_base) || fault >= vki_mem_to_shadow(vki_arena_end))
		return false;
	ucontext_t *u = ucontext;
	greg_t *g = u->uc_mcontext.gregs;
	struct insn in = { .p = (const uint8_t *)g[REG_RIP] };
	bool opsize = false, has_rex = false; /* a bare REX (0x40) matters too */
	int rex = 0;
	while (*in.p == 0x66) {
		opsize = true;
		in.p++;
	}
	if ((*in.p & 0xf0) == 0x40) {
		has_rex = true;
		rex = *in.p++ & 0xf;
	}
	int wide = rex & 8 ? 8 : opsize ? 2 : 4; /* size of a non-byte operand */
	uint8_t op = *in.p++;
	int msize; /* bytes read from shadow */
	enum { LOAD_ZX, LOAD_SX, LOAD, CMP_MI, CMP_MR, CMP_RM, TEST_MR, TEST_MI } kind;
	int dsize = wide; /* destination / operation size */
	int isize = 0;    /* immediate bytes */
	if (op == 0x0f) {
		uint8_t op2 = *in.p++;
		if (op2 != 0xb6 && op2 != 0xb7 && op2 != 0xbe && op2 != 0xbf)
			return false;
		msize = op2 & 1 ? 2 : 1;
		kind = op2 & 8 ? LOAD_SX : LOAD_ZX;
	} else if (op == 0x8a || op == 0x8b) {
		msize = dsize = op == 0x8a ? 1 : wide;
		kind = LOAD;
	} else if (op == 0x80 || op == 0x81 || op == 0x83) {
		msize = dsize = op == 0x80 ? 1 : wide;
		isize = op == 0x81 ? (wide == 2 ? 2 : 4) : 1;
		kind = CMP_MI;
	} else if (op == 0xf6 || op == 0xf7) {
		msize = dsize = op == 0xf6 ? 1 : wide;
		isize = op == 0xf6 ? 1 : (wide == 2 ? 2 : 4);
		kind = TEST_MI;
	} else if (op >= 0x38 && op <= 0x3b) {
		msize = dsize = op & 1 ? wide : 1;
		kind = op & 2 ? CMP_RM : CMP_MR;
	} else if (op == 0x84 || op == 0x85) {
		msize = dsize = op & 1 ? wide : 1;
		kind = TEST_MR;
	} else {
		return false;
	}
	if (!decode_modrm(&in, g, rex) || fault < in.ea || fault - in.ea >= (uintptr_t)msize)
		return false;
	/* The group opcodes: only CMP (/7) and TEST (/0). */
	if ((kind == CMP_MI && (in.reg & 7) != 7) || (kind == TEST_MI && (in.reg & 7) != 0))
		return false;
	/* The operand as if every shadow byte read said 0xF8. */
	uint64_t val = 0;
	for (int i = 0; i < msize; i++)
		val |= (uint64_t)VKI_SHADOW_VMALLOC_INVALID << (8 * i);
	switch (kind) {
	case LOAD_ZX:
	case LOAD:
		reg_set(g, in.reg, dsize, has_rex, val);
		break;
	case LOAD_SX: {
		int64_t s = msize == 1 ? (int8_t)val : (int16_t)val;
		reg_set(g, in.reg, dsize, has_rex, (uint64_t)s);
		break;
	}
	case CMP_MI:
		flags_sub(g, val, (uint64_t)imm(&in, isize), dsize);
		break;
	case CMP_MR:
		flags_sub(g, val, reg_get(g, in.reg, dsize, has_rex), dsize);
		break;
	case CMP_RM:
		flags_sub(g, reg_get(g, in.reg, dsize, has_rex), val, dsize);
		break;
	case TEST_MR:
		set_flags(g, val & reg_get(g, in.reg, dsize, has_rex), 0, dsize);
		break;
	case TEST_MI:
		set_flags(g, val & (uint64_t)imm(&in, isize), 0, dsize);
		break;
	}
	g[REG_RIP] = (greg_t)(uintptr_t)in.p;
	return true;
}

/*
 * arch_x86_64.c - what the runtime knows about x86-64 itself: the signal
 * context (registers of the interrupted code, the fault's direction) and
 * the decoding of the few instructions inline checks read shadow with.
 * Everything machine-specific is here, so a port adds one file.
 */
#include "vk_internal.h"

#include <signal.h>
#include <ucontext.h>

void vki_arch_context_regs(void *ucontext, uintptr_t *pc, uintptr_t *fp, uintptr_t *sp)
{
	const ucontext_t *u = ucontext;
	const greg_t *g = u->uc_mcontext.gregs;
	*pc = (uintptr_t)g[REG_RIP];
	*fp = (uintptr_t)g[REG_RBP];
	*sp = (uintptr_t)g[REG_RSP];
}

bool vki_arch_fault_is_write(void *ucontext)
{
	const ucontext_t *u = ucontext;
	return (u->uc_mcontext.gregs[REG_ERR] & 2) != 0; /* page fault error code: W */
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

bool vki_arch_finish_shadow_read(void *ucontext, uintptr_t fault, uint8_t value)
{
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
	/* The operand as if every shadow byte read said value. */
	uint64_t val = 0;
	for (int i = 0; i < msize; i++)
		val |= (uint64_t)value << (8 * i);
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

/*
 * plot.c - draws the benchmark results as grouped bar charts in a PNG, with
 * no dependency beyond libc: a 5x7 bitmap font, a palette image, and a
 * small deflate encoder (fixed Huffman codes, matches against the previous
 * pixel and the row above - enough for flat-colour charts).
 *
 * usage: plot RESULTS.csv OUT.png [TITLE]
 * Reads the CSV written by report.awk (section,benchmark,param,variant,
 * value,unit,ratio,note) and draws: allocator throughput with 1 and with 2
 * threads (log scale), resident shadow per scenario and point (log scale),
 * the check-cost slowdowns (linear), and - when the CSV has "shadowrun"
 * rows - resident shadow over a run as lines (linear, x = operations).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ canvas */

enum { C_WHITE, C_BLACK, C_GRID, C_AXIS, C_SERIES };
static const uint8_t palette[][3] = {
	{ 255, 255, 255 }, { 0, 0, 0 }, { 225, 225, 225 }, { 120, 120, 120 },
	{ 214, 39, 40 },   /* vkasan: red */
	{ 255, 152, 150 }, /* second series: pink */
	{ 31, 119, 180 },  /* blue */
	{ 44, 160, 44 },   /* green */
	{ 148, 103, 189 }, /* purple */
	{ 255, 127, 14 },  /* orange */
	{ 140, 86, 75 },   /* brown */
	{ 23, 190, 207 },  /* cyan */
};
#define NCOLORS (int)(sizeof(palette) / sizeof(palette[0]))
#define NSERIES_COLORS (NCOLORS - C_SERIES)

static int W, H;
static uint8_t *px;

static void fill(int x0, int y0, int x1, int y1, int c)
{
	int x, y;

	if (x0 > x1) { x = x0; x0 = x1; x1 = x; }
	if (y0 > y1) { y = y0; y0 = y1; y1 = y; }
	if (x0 < 0) x0 = 0;
	if (y0 < 0) y0 = 0;
	if (x1 > W) x1 = W;
	if (y1 > H) y1 = H;
	for (y = y0; y < y1; y++)
		for (x = x0; x < x1; x++)
			px[(size_t)y * W + x] = (uint8_t)c;
}

/* 5x7 glyphs, one byte per row, bit 4 = leftmost column.  Lower case is
 * drawn as upper case, except x (for "2.5x"). */
static const struct {
	char c;
	uint8_t rows[7];
} glyphs[] = {
	{ 'A', { 0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11 } },
	{ 'B', { 0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E } },
	{ 'C', { 0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E } },
	{ 'D', { 0x1E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1E } },
	{ 'E', { 0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F } },
	{ 'F', { 0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10 } },
	{ 'G', { 0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F } },
	{ 'H', { 0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11 } },
	{ 'I', { 0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E } },
	{ 'J', { 0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C } },
	{ 'K', { 0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11 } },
	{ 'L', { 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F } },
	{ 'M', { 0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11 } },
	{ 'N', { 0x11, 0x19, 0x15, 0x13, 0x11, 0x11, 0x11 } },
	{ 'O', { 0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E } },
	{ 'P', { 0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10 } },
	{ 'Q', { 0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D } },
	{ 'R', { 0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11 } },
	{ 'S', { 0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E } },
	{ 'T', { 0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04 } },
	{ 'U', { 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E } },
	{ 'V', { 0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04 } },
	{ 'W', { 0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A } },
	{ 'X', { 0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11 } },
	{ 'Y', { 0x11, 0x11, 0x0A, 0x04, 0x04, 0x04, 0x04 } },
	{ 'Z', { 0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F } },
	{ 'x', { 0x00, 0x00, 0x11, 0x0A, 0x04, 0x0A, 0x11 } },
	{ '0', { 0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E } },
	{ '1', { 0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E } },
	{ '2', { 0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F } },
	{ '3', { 0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E } },
	{ '4', { 0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02 } },
	{ '5', { 0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E } },
	{ '6', { 0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E } },
	{ '7', { 0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08 } },
	{ '8', { 0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E } },
	{ '9', { 0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C } },
	{ '.', { 0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C } },
	{ ',', { 0x00, 0x00, 0x00, 0x00, 0x0C, 0x04, 0x08 } },
	{ '-', { 0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00 } },
	{ '_', { 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1F } },
	{ '/', { 0x00, 0x01, 0x02, 0x04, 0x08, 0x10, 0x00 } },
	{ '(', { 0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02 } },
	{ ')', { 0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08 } },
	{ ':', { 0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x0C, 0x00 } },
	{ '=', { 0x00, 0x00, 0x1F, 0x00, 0x1F, 0x00, 0x00 } },
	{ '+', { 0x00, 0x04, 0x04, 0x1F, 0x04, 0x04, 0x00 } },
	{ '<', { 0x02, 0x04, 0x08, 0x10, 0x08, 0x04, 0x02 } },
	{ '>', { 0x08, 0x04, 0x02, 0x01, 0x02, 0x04, 0x08 } },
	{ '%', { 0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03 } },
	{ '*', { 0x00, 0x04, 0x15, 0x0E, 0x15, 0x04, 0x00 } },
	{ '[', { 0x0E, 0x08, 0x08, 0x08, 0x08, 0x08, 0x0E } },
	{ ']', { 0x0E, 0x02, 0x02, 0x02, 0x02, 0x02, 0x0E } },
	{ '#', { 0x0A, 0x0A, 0x1F, 0x0A, 0x1F, 0x0A, 0x0A } },
	{ '?', { 0x0E, 0x11, 0x01, 0x02, 0x04, 0x00, 0x04 } },
	{ '\'', { 0x04, 0x04, 0x08, 0x00, 0x00, 0x00, 0x00 } },
	{ '|', { 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04 } },
};

static const uint8_t *glyph(char c)
{
	size_t i;

	if (c >= 'a' && c <= 'z' && c != 'x')
		c = (char)(c - 'a' + 'A');
	for (i = 0; i < sizeof(glyphs) / sizeof(glyphs[0]); i++)
		if (glyphs[i].c == c)
			return glyphs[i].rows;
	return NULL; /* space and anything unknown: blank */
}

static int text_width(const char *s, int scale)
{
	return (int)strlen(s) * 6 * scale - scale;
}

/* Draw s with its top-left corner at (x, y). */
static void text(int x, int y, const char *s, int scale, int c)
{
	int r, b;

	for (; *s; s++, x += 6 * scale) {
		const uint8_t *g = glyph(*s);

		if (!g)
			continue;
		for (r = 0; r < 7; r++)
			for (b = 0; b < 5; b++)
				if (g[r] & (0x10 >> b))
					fill(x + b * scale, y + r * scale, x + (b + 1) * scale,
					     y + (r + 1) * scale, c);
	}
}

/* ------------------------------------------------------------ PNG */

static uint32_t crc_table[256];

static uint32_t crc32_update(uint32_t crc, const uint8_t *p, size_t n)
{
	size_t i;

	if (!crc_table[1]) {
		for (uint32_t k = 0; k < 256; k++) {
			uint32_t c = k;

			for (int j = 0; j < 8; j++)
				c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
			crc_table[k] = c;
		}
	}
	crc = ~crc;
	for (i = 0; i < n; i++)
		crc = crc_table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
	return ~crc;
}

struct bits {
	uint8_t *buf;
	size_t len, cap;
	uint32_t acc;
	int nacc;
};

static void put_bits(struct bits *b, uint32_t v, int n)
{
	b->acc |= v << b->nacc;
	b->nacc += n;
	while (b->nacc >= 8) {
		if (b->len == b->cap) {
			b->cap = b->cap ? 2 * b->cap : 65536;
			b->buf = realloc(b->buf, b->cap);
			if (!b->buf) {
				perror("plot");
				exit(1);
			}
		}
		b->buf[b->len++] = (uint8_t)b->acc;
		b->acc >>= 8;
		b->nacc -= 8;
	}
}

/* Huffman codes go most significant bit first. */
static void put_code(struct bits *b, uint32_t code, int n)
{
	uint32_t r = 0;
	int i;

	for (i = 0; i < n; i++)
		r |= ((code >> i) & 1) << (n - 1 - i);
	put_bits(b, r, n);
}

static void put_litlen(struct bits *b, int sym)
{
	if (sym < 144)
		put_code(b, 0x30 + sym, 8);
	else if (sym < 256)
		put_code(b, 0x190 + sym - 144, 9);
	else if (sym < 280)
		put_code(b, sym - 256, 7);
	else
		put_code(b, 0xC0 + sym - 280, 8);
}

static const int len_base[] = { 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27,
				31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258 };
static const int len_extra[] = { 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
				 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0 };
static const int dist_base[] = { 1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129,
				 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097,
				 6145, 8193, 12289, 16385, 24577 };
static const int dist_extra[] = { 0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6,
				  6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13 };

static void put_match(struct bits *b, int len, int dist)
{
	int i = 28, j = 29;

	while (len_base[i] > len)
		i--;
	put_litlen(b, 257 + i);
	put_bits(b, (uint32_t)(len - len_base[i]), len_extra[i]);
	while (dist_base[j] > dist)
		j--;
	put_code(b, (uint32_t)j, 5);
	put_bits(b, (uint32_t)(dist - dist_base[j]), dist_extra[j]);
}

/* A zlib stream of one fixed-Huffman block. */
static void deflate(struct bits *b, const uint8_t *d, size_t n, size_t stride)
{
	uint32_t s1 = 1, s2 = 0;
	size_t i = 0, k;

	put_bits(b, 0x78, 8);
	put_bits(b, 0x01, 8);
	put_bits(b, 1, 1); /* final block */
	put_bits(b, 1, 2); /* fixed Huffman codes */
	while (i < n) {
		size_t best = 0, dist = 0, max = n - i < 258 ? n - i : 258;
		size_t cand[2] = { 1, stride };

		for (k = 0; k < 2; k++) {
			size_t l = 0, c = cand[k];

			if (c > i || c > 32768)
				continue;
			while (l < max && d[i + l] == d[i + l - c])
				l++;
			if (l > best) {
				best = l;
				dist = c;
			}
		}
		if (best >= 3) {
			put_match(b, (int)best, (int)dist);
			i += best;
		} else {
			put_litlen(b, d[i]);
			i++;
		}
	}
	put_litlen(b, 256);
	put_bits(b, 0, 7); /* flush to a byte */
	b->nacc = 0;
	b->acc = 0;
	for (i = 0; i < n; i++) {
		s1 = (s1 + d[i]) % 65521;
		s2 = (s2 + s1) % 65521;
	}
	for (k = 0; k < 4; k++)
		put_bits(b, ((s2 << 16 | s1) >> (24 - 8 * k)) & 0xFF, 8);
}

static void chunk(FILE *f, const char *type, const uint8_t *data, size_t n)
{
	uint8_t hdr[8] = { (uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n };
	uint32_t crc;
	uint8_t c[4];

	memcpy(hdr + 4, type, 4);
	fwrite(hdr, 1, 8, f);
	if (n)
		fwrite(data, 1, n, f);
	crc = crc32_update(crc32_update(0, hdr + 4, 4), data, n);
	c[0] = (uint8_t)(crc >> 24), c[1] = (uint8_t)(crc >> 16), c[2] = (uint8_t)(crc >> 8), c[3] = (uint8_t)crc;
	fwrite(c, 1, 4, f);
}

static int write_png(const char *path)
{
	static const uint8_t sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n' };
	uint8_t ihdr[13] = { 0 }, plte[3 * NCOLORS];
	size_t stride = (size_t)W + 1, y;
	uint8_t *raw = malloc(stride * H);
	struct bits b = { 0 };
	FILE *f = fopen(path, "wb");

	if (!f || !raw) {
		perror(path);
		return -1;
	}
	for (y = 0; y < (size_t)H; y++) {
		raw[y * stride] = 0; /* filter: none */
		memcpy(raw + y * stride + 1, px + y * W, W);
	}
	deflate(&b, raw, stride * H, stride);
	ihdr[0] = (uint8_t)(W >> 24), ihdr[1] = (uint8_t)(W >> 16), ihdr[2] = (uint8_t)(W >> 8), ihdr[3] = (uint8_t)W;
	ihdr[4] = (uint8_t)(H >> 24), ihdr[5] = (uint8_t)(H >> 16), ihdr[6] = (uint8_t)(H >> 8), ihdr[7] = (uint8_t)H;
	ihdr[8] = 8; /* bit depth */
	ihdr[9] = 3; /* palette */
	memcpy(plte, palette, sizeof(plte));
	fwrite(sig, 1, 8, f);
	chunk(f, "IHDR", ihdr, 13);
	chunk(f, "PLTE", plte, sizeof(plte));
	chunk(f, "IDAT", b.buf, b.len);
	chunk(f, "IEND", NULL, 0);
	free(raw);
	free(b.buf);
	return fclose(f) ? -1 : 0;
}

/* ------------------------------------------------------------ data */

#define MAXG 64
#define MAXS 8

struct chart {
	char title[160];
	int log_scale;
	int show_values;
	int ngroups, nseries;
	char group[MAXG][48];
	char series[MAXS][32];
	double v[MAXG][MAXS]; /* NAN: no value */
};

static int index_of(char names[][48], int *n, int max, const char *s)
{
	int i;

	for (i = 0; i < *n; i++)
		if (!strcmp(names[i], s))
			return i;
	if (*n == max)
		return -1;
	snprintf(names[*n], 48, "%s", s);
	return (*n)++;
}

static int series_of(struct chart *c, const char *s)
{
	int i;

	for (i = 0; i < c->nseries; i++)
		if (!strcmp(c->series[i], s))
			return i;
	if (c->nseries == MAXS)
		return -1;
	snprintf(c->series[c->nseries], sizeof(c->series[0]), "%s", s);
	return c->nseries++;
}

static void chart_add(struct chart *c, const char *group, const char *series, double v)
{
	int g = index_of(c->group, &c->ngroups, MAXG, group);
	int s = series_of(c, series);

	if (g >= 0 && s >= 0)
		c->v[g][s] = v;
}

static void chart_init(struct chart *c, const char *title, int log_scale)
{
	int g, s;

	memset(c, 0, sizeof(*c));
	snprintf(c->title, sizeof(c->title), "%s", title);
	c->log_scale = log_scale;
	for (g = 0; g < MAXG; g++)
		for (s = 0; s < MAXS; s++)
			c->v[g][s] = NAN;
}

/* Split a CSV line in place (no quoted fields in our files). */
static int split(char *line, char **f, int max)
{
	int n = 0;

	f[n++] = line;
	for (; *line && n < max; line++)
		if (*line == ',') {
			*line = 0;
			f[n++] = line + 1;
		} else if (*line == '\n') {
			*line = 0;
		}
	return n;
}

/* ------------------------------------------------------------ drawing */

#define CHART_H 340

static void fmt_value(char *buf, size_t n, double v)
{
	if (v >= 100)
		snprintf(buf, n, "%.0f", v);
	else if (v >= 10)
		snprintf(buf, n, "%.1f", v);
	else if (v >= 0.1)
		snprintf(buf, n, "%.2f", v);
	else
		snprintf(buf, n, "%.3f", v);
}

/* Axis labels: plain decimals, powers of ten below 0.001. */
static void fmt_axis(char *buf, size_t n, double v)
{
	if (v >= 1 || v == 0)
		snprintf(buf, n, "%.0f", v);
	else if (v >= 0.001)
		snprintf(buf, n, "%.3g", v);
	else
		snprintf(buf, n, "1e%.0f", floor(log10(v) + 0.5));
}

/* vkasan is red in every chart; the other series take the next colours. */
static int series_color(const struct chart *c, int s)
{
	int i, k = 1;

	if (!strcmp(c->series[s], "vkasan"))
		return C_SERIES;
	for (i = 0; i < s; i++)
		if (strcmp(c->series[i], "vkasan"))
			k++;
	return C_SERIES + k % NSERIES_COLORS;
}

static void draw_chart(const struct chart *c, int top)
{
	const int left = 90, right = W - 20, ptop = top + 50, pbot = top + CHART_H - 50;
	double lo = INFINITY, hi = -INFINITY, v;
	int g, s, x, y, i;
	char buf[64];

	text(left, top + 12, c->title, 2, C_BLACK);
	for (g = 0; g < c->ngroups; g++)
		for (s = 0; s < c->nseries; s++) {
			v = c->v[g][s];
			if (isnan(v) || (c->log_scale && v <= 0))
				continue;
			if (v < lo)
				lo = v;
			if (v > hi)
				hi = v;
		}
	if (!isfinite(lo)) {
		text(left, ptop + 20, "no data", 2, C_AXIS);
		return;
	}
	if (c->log_scale) {
		double min = lo;

		lo = pow(10, floor(log10(lo)));
		if (min / lo < 3) /* keep the smallest bars visible */
			lo /= 10;
		hi = pow(10, ceil(log10(hi)));
		if (hi <= lo)
			hi = lo * 10;
	} else {
		lo = 0;
		hi = hi <= 1 ? 1 : ceil(hi * 1.15);
	}
#define YPOS(val) (c->log_scale ? pbot - (int)((log10(val) - log10(lo)) / (log10(hi) - log10(lo)) * (pbot - ptop)) \
				: pbot - (int)((val - lo) / (hi - lo) * (pbot - ptop)))
	/* Grid and y labels: decades, or about five linear steps. */
	if (c->log_scale) {
		for (v = lo; v <= hi * 1.001; v *= 10) {
			y = YPOS(v);
			fill(left, y, right, y + 1, C_GRID);
			fmt_axis(buf, sizeof(buf), v);
			text(left - 8 - text_width(buf, 1), y - 3, buf, 1, C_BLACK);
		}
	} else {
		double step = pow(10, floor(log10(hi / 5)));

		if (hi / step > 10)
			step *= 2;
		for (v = 0; v <= hi * 1.001; v += step) {
			y = YPOS(v);
			fill(left, y, right, y + 1, C_GRID);
			snprintf(buf, sizeof(buf), "%g", v);
			text(left - 8 - text_width(buf, 1), y - 3, buf, 1, C_BLACK);
		}
		if (hi > 1) { /* the baseline 1x */
			y = YPOS(1.0);
			fill(left, y, right, y + 2, C_AXIS);
		}
	}
	fill(left, ptop, left + 1, pbot + 1, C_AXIS);
	fill(left, pbot, right, pbot + 1, C_AXIS);

	/* Bars. */
	{
		int gw = (right - left) / (c->ngroups ? c->ngroups : 1);
		int bw = (gw - 8) / (c->nseries ? c->nseries : 1);

		if (bw < 1)
			bw = 1;
		for (g = 0; g < c->ngroups; g++) {
			int gx = left + g * gw + 4;
			int lw = text_width(c->group[g], 1);
			int stagger = lw > gw - 4 && (g & 1) ? 10 : 0;

			for (s = 0; s < c->nseries; s++) {
				v = c->v[g][s];
				x = gx + s * bw;
				if (isnan(v))
					continue;
				if (v <= 0 && c->log_scale) {
					text(x + (bw - 5) / 2, pbot - 9, "0", 1, series_color(c, s));
					continue;
				}
				y = YPOS(v < lo ? lo : v);
				fill(x, y, x + bw - 1, pbot, series_color(c, s));
				if (c->show_values) {
					fmt_value(buf, sizeof(buf), v);
					text(x + (bw - text_width(buf, 1)) / 2, y - 10, buf, 1, C_BLACK);
				}
			}
			text(gx + (gw - 8 - lw) / 2, pbot + 6 + stagger, c->group[g], 1, C_BLACK);
		}
	}
	/* Legend, top right. */
	x = right;
	for (i = c->nseries - 1; i >= 0; i--) {
		x -= text_width(c->series[i], 1) + 26;
		fill(x, top + 16, x + 12, top + 28, series_color(c, i));
		text(x + 16, top + 19, c->series[i], 1, C_BLACK);
	}
#undef YPOS
}

/* ------------------------------------------------------------ line chart */

#define MAXP 1024

struct lines {
	char title[160];
	int n, nseries;
	char series[MAXS][32];
	double x[MAXP];
	double y[MAXS][MAXP]; /* NAN: no value */
};

static void lines_add(struct lines *l, double x, const char *series, double y)
{
	int s, i;

	for (s = 0; s < l->nseries; s++)
		if (!strcmp(l->series[s], series))
			break;
	if (s == l->nseries) {
		if (s == MAXS)
			return;
		snprintf(l->series[s], sizeof(l->series[0]), "%s", series);
		l->nseries++;
	}
	/* Rows come grouped by x (report.awk writes one op at a time). */
	if (!l->n || l->x[l->n - 1] != x) {
		if (l->n == MAXP)
			return;
		l->x[l->n] = x;
		for (i = 0; i < MAXS; i++)
			l->y[i][l->n] = NAN;
		l->n++;
	}
	l->y[s][l->n - 1] = y;
}

/* ideal black, vkasan red, the others the next colours. */
static int line_color(const struct lines *l, int s)
{
	int i, k = 1;

	if (!strcmp(l->series[s], "ideal"))
		return C_BLACK;
	if (!strcmp(l->series[s], "vkasan"))
		return C_SERIES;
	for (i = 0; i < s; i++)
		if (strcmp(l->series[i], "vkasan") && strcmp(l->series[i], "ideal"))
			k++;
	return C_SERIES + 1 + k % (NSERIES_COLORS - 1);
}

/* A segment two pixels thick (enough for a chart; no anti-aliasing). */
static void segment(int x0, int y0, int x1, int y1, int c)
{
	int dx = abs(x1 - x0), dy = -abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
	int err = dx + dy, e2;

	for (;;) {
		fill(x0, y0, x0 + 2, y0 + 2, c);
		if (x0 == x1 && y0 == y1)
			break;
		e2 = 2 * err;
		if (e2 >= dy) { err += dy; x0 += sx; }
		if (e2 <= dx) { err += dx; y0 += sy; }
	}
}

static void draw_lines(const struct lines *l, int top)
{
	const int left = 90, right = W - 20, ptop = top + 50, pbot = top + CHART_H - 50;
	double hi = 0, xmax = 0, step, v;
	int i, s, x, y;
	char buf[64];

	text(left, top + 12, l->title, 2, C_BLACK);
	for (i = 0; i < l->n; i++) {
		if (l->x[i] > xmax)
			xmax = l->x[i];
		for (s = 0; s < l->nseries; s++)
			if (!isnan(l->y[s][i]) && l->y[s][i] > hi)
				hi = l->y[s][i];
	}
	if (l->n < 2 || hi <= 0 || xmax <= 0) {
		text(left, ptop + 20, "no data", 2, C_AXIS);
		return;
	}
	hi *= 1.1;
#define XPOS(val) (left + (int)((val) / xmax * (right - left)))
#define YPOS(val) (pbot - (int)((val) / hi * (pbot - ptop)))
	step = pow(10, floor(log10(hi / 5)));
	if (hi / step > 10)
		step *= 2;
	for (v = 0; v <= hi; v += step) {
		y = YPOS(v);
		fill(left, y, right, y + 1, C_GRID);
		snprintf(buf, sizeof(buf), "%g", v);
		text(left - 8 - text_width(buf, 1), y - 3, buf, 1, C_BLACK);
	}
	step = pow(10, floor(log10(xmax / 4)));
	if (xmax / step > 10)
		step *= 2;
	for (v = 0; v <= xmax * 1.001; v += step) {
		x = XPOS(v);
		fill(x, pbot, x + 1, pbot + 4, C_AXIS);
		snprintf(buf, sizeof(buf), "%g", v);
		text(x - text_width(buf, 1) / 2, pbot + 8, buf, 1, C_BLACK);
	}
	text(right - text_width("operations", 1), pbot + 22, "operations", 1, C_BLACK);
	fill(left, ptop, left + 1, pbot + 1, C_AXIS);
	fill(left, pbot, right, pbot + 1, C_AXIS);
	for (s = l->nseries - 1; s >= 0; s--) { /* the first series on top */
		int px0 = -1, py0 = -1;

		for (i = 0; i < l->n; i++) {
			if (isnan(l->y[s][i]))
				continue;
			x = XPOS(l->x[i]);
			y = YPOS(l->y[s][i]);
			if (px0 >= 0)
				segment(px0, py0, x, y, line_color(l, s));
			px0 = x;
			py0 = y;
		}
	}
	x = right;
	for (i = l->nseries - 1; i >= 0; i--) {
		x -= text_width(l->series[i], 1) + 26;
		fill(x, top + 16, x + 12, top + 28, line_color(l, i));
		text(x + 16, top + 19, l->series[i], 1, C_BLACK);
	}
#undef XPOS
#undef YPOS
}

int main(int argc, char **argv)
{
	static struct lines run;
	static struct chart charts[5];
	struct chart *a1 = &charts[0], *a2 = &charts[1], *sh = &charts[2], *ck = &charts[3];
	char line[1024], group[48], pbuf[16];
	FILE *f;
	int n, i;

	if (argc < 3) {
		fprintf(stderr, "usage: plot RESULTS.csv OUT.png [TITLE]\n");
		return 2;
	}
	chart_init(a1, "Allocator throughput, 1 thread (Mops/s, log scale)", 1);
	chart_init(a2, "Allocator throughput, 2 threads (Mops/s, log scale)", 1);
	chart_init(sh, "Resident shadow after each purge (KiB, log scale)", 1);
	chart_init(ck, "Check cost: slowdown over the plain build (x)", 0);
	snprintf(run.title, sizeof(run.title),
		 "Resident shadow over a run, no explicit purge (KiB, vkasan = release_delay 4, "
		 "eager = 0)");
	ck->show_values = 1;
	f = fopen(argv[1], "r");
	if (!f) {
		perror(argv[1]);
		return 1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *fl[8];

		if (split(line, fl, 8) < 7 || !strcmp(fl[0], "section") || (!*fl[4] && !*fl[6]))
			continue;
		if (!strcmp(fl[0], "alloc"))
			chart_add(!strcmp(fl[2], "1") ? a1 : a2, fl[1], fl[3], atof(fl[4]) / 1e6);
		else if (!strcmp(fl[0], "shadow") && strcmp(fl[3], "live")) {
			/* Short labels: "1pg live", "16pg half", "churn r3". */
			const char *pt = fl[2];

			if (!strcmp(pt, "half-freed"))
				pt = "half";
			else if (!strcmp(pt, "all-freed"))
				pt = "none";
			else if (!strncmp(pt, "round", 5)) {
				snprintf(pbuf, sizeof(pbuf), "r%.8s", pt + 5);
				pt = pbuf;
			}
			if (!strncmp(fl[1], "pages", 5))
				snprintf(group, sizeof(group), "%.8spg %.16s", fl[1] + 5, pt);
			else
				snprintf(group, sizeof(group), "%.16s %.16s", fl[1], pt);
			chart_add(sh, group, fl[3], atof(fl[4]));
		} else if (!strcmp(fl[0], "check") && strcmp(fl[3], "plain") && *fl[6])
			chart_add(ck, fl[1], fl[3], atof(fl[6]));
		else if (!strcmp(fl[0], "shadowrun") && *fl[4])
			lines_add(&run, atof(fl[2]), fl[3], atof(fl[4]));
	}
	fclose(f);

	W = 1600;
	H = 60 + (run.n ? 5 : 4) * CHART_H;
	px = calloc((size_t)W * H, 1);
	if (!px)
		return 1;
	text(20, 16, argc > 3 ? argv[3] : "vkasan benchmarks", 3, C_BLACK);
	for (n = 0, i = 0; i < 4; i++)
		draw_chart(&charts[i], 60 + i * CHART_H);
	if (run.n)
		draw_lines(&run, 60 + 4 * CHART_H);
	(void)n;
	return write_png(argv[2]) ? 1 : 0;
}

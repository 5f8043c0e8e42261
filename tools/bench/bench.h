/* clientele-bench: what its subcommands (bench.c: w1; queries.c: related)
 * share. */
#ifndef CLIENTELE_BENCH_H
#define CLIENTELE_BENCH_H

int bench_usage(void);                /* prints the usage; returns 2 */
void bench_rmdir(const char *dir);    /* removes a folder and all it holds */
int bench_related(int argc, char **argv);

#endif

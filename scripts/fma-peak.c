/* Peak FP32 FMA throughput of this CPU: each thread runs 12 independent vector FMA chains (enough
 * to cover FMA latency x throughput on current x86 cores) for a fixed count; FLOPs = 2 per lane per
 * FMA. Built with -O3 -march=native, so the widest vectors the compiler may use on this CPU.
 *   gcc -O3 -march=native -fopenmp scripts/fma-peak.c -o fma-peak && ./fma-peak THREADS */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#if defined(__AVX512F__)
#include <immintrin.h>
typedef __m512 vec; enum { LANES = 16 };
#define FMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define SET1(x) _mm512_set1_ps(x)
static float sum(vec v) { return _mm512_reduce_add_ps(v); }
#elif defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
typedef __m256 vec; enum { LANES = 8 };
#define FMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define SET1(x) _mm256_set1_ps(x)
static float sum(vec v) { float f[8]; _mm256_storeu_ps(f, v); float s = 0; for (int i = 0; i < 8; i++) s += f[i]; return s; }
#else
#error "needs AVX2+FMA or AVX-512"
#endif

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : omp_get_max_threads();
  const long iters = 200000000L / LANES * 4;
  double best = 0;
  for (int rep = 0; rep < 3; rep++) {
    double t0 = omp_get_wtime();
    float sink = 0;
#pragma omp parallel num_threads(threads) reduction(+ : sink)
    {
      vec a = SET1(1.0f), b = SET1(0.999999f);
      vec c0 = SET1(0), c1 = SET1(1), c2 = SET1(2), c3 = SET1(3), c4 = SET1(4), c5 = SET1(5);
      vec c6 = SET1(6), c7 = SET1(7), c8 = SET1(8), c9 = SET1(9), c10 = SET1(10), c11 = SET1(11);
      for (long i = 0; i < iters; i++) {
        c0 = FMA(c0, b, a); c1 = FMA(c1, b, a); c2 = FMA(c2, b, a); c3 = FMA(c3, b, a);
        c4 = FMA(c4, b, a); c5 = FMA(c5, b, a); c6 = FMA(c6, b, a); c7 = FMA(c7, b, a);
        c8 = FMA(c8, b, a); c9 = FMA(c9, b, a); c10 = FMA(c10, b, a); c11 = FMA(c11, b, a);
      }
      sink += sum(c0) + sum(c1) + sum(c2) + sum(c3) + sum(c4) + sum(c5) + sum(c6) + sum(c7) + sum(c8) + sum(c9) + sum(c10) + sum(c11);
    }
    double s = omp_get_wtime() - t0;
    double gflops = (double)threads * iters * 12 * LANES * 2 / s / 1e9;
    if (gflops > best) best = gflops;
    if (sink == 42) printf(" ");
  }
  printf("{\"threads\": %d, \"lanes\": %d, \"gflops\": %.1f}\n", threads, LANES, best);
  return 0;
}

// How the packed decode kernels (one token: each weight byte streamed once, so memory-bound)
// walk a 16-row group's tiles and prefetch them, shared by the AVX-512 and AVX2 files. Every
// definition is in an anonymous namespace: each ISA file compiles its own copy with its own
// flags, so the linker cannot pick one ISA's copy for another (see kernel_table.h).
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#define MIXQ_DECODE_INLINE [[gnu::always_inline]] inline
#define MIXQ_DECODE_UNROLL _Pragma("GCC unroll 16")

namespace mixq::kernels {
namespace {

// Decode streams each weight byte once: fetch every cache line kPrefetchBytes ahead of the
// loads (the hardware prefetcher alone leaves the loads waiting on memory). 6 KiB: two
// alternating A/B runs of the 256 MiB GEMV benchmark (2 threads) against 2, 4 and 10 KiB gave
// the highest total over Q4_0, Q4_1, Q5_0, Q6_K, Q2_K, Q8_0 (gains on Q2_K, Q4_1; noisy).
#ifndef MIXQ_PREFETCH_BYTES
#define MIXQ_PREFETCH_BYTES 6144
#endif
constexpr size_t kPrefetchBytes = MIXQ_PREFETCH_BYTES;

// Decode walks a row group in runs of kRun tiles whose body is unrolled, and prefetches with
// straight-line code: the run's bytes are a whole number of cache lines (two 32-element tiles
// already are, a K-quant super-block is), so line i of the run is fetched from
// run + kPrefetchBytes + 64 i, spread evenly over the run's tiles, and successive runs continue
// the same arithmetic sequence: every line once, no loop or branch per tile. A group's first
// kPrefetchBytes were fetched by the group before it (groups are contiguous). Measured with a
// 256 MiB Q4_0 GEMV, one thread, 40 shuffled rounds against the read probe (the method of
// scripts/ab-packed-decode.sh, docs/benchmarks.md session 4): a rolled loop over
// tiles with a prefetch loop per tile streamed 22.6-25.6 GB/s (0.69-0.78 of the probe), 8 tiles
// unrolled with the same loop 28.4-34.1, 8 unrolled with straight-line prefetches 35.8-36.2
// (1.03-1.06, the K-quant kernel 0.95-1.01); pairs of tiles with straight-line prefetches 26.3.
constexpr int kRun = 8;

// The K-quants' previous scheme, kept where it measured better: one prefetch per cache line in
// address order, Upto(end) fetching the lines below end + kPrefetchBytes not fetched yet.
struct LinePrefetcher {
  uintptr_t next;
  explicit LinePrefetcher(const uint8_t* start) : next((reinterpret_cast<uintptr_t>(start) + kPrefetchBytes) & ~uintptr_t{63}) {}
  MIXQ_DECODE_INLINE void Upto(const uint8_t* end) {
    const uintptr_t limit = reinterpret_cast<uintptr_t>(end) + kPrefetchBytes;
    for (; next < limit; next += 64) _mm_prefetch(reinterpret_cast<const char*>(next), _MM_HINT_T0);
  }
};

// The prefetches of tile j (of kTiles) of a run of kLines cache lines starting at `run`.
// kPinned: as asm volatile, which GCC keeps in program order, one tile's share before that tile's
// loads. GCC gathers the prefetch intrinsics of an unrolled run into bursts (44 in a row for
// Q5_0), which fill the miss buffers at once and hold up the arithmetic behind them. Same
// method, 25 shuffled rounds, share of the probe at 1 / 2 threads: pinned Q5_0 0.91 -> 1.11 /
// 0.91 -> 1.08, Q5_1 0.88 -> 1.13 / 0.87 -> 1.10, Q4_1 -> 1.14 at 2 threads, Q4_0, Q8_0,
// IQ4_NL equal or a little higher; Q2_K (compute-bound, unrolled) 0.83 -> 0.69, so it keeps the
// intrinsics.
template <int kLines, int kTiles, bool kPinned>
MIXQ_DECODE_INLINE void PrefetchShare(const uint8_t* run, int j) {
  const char* base = reinterpret_cast<const char*>(run) + kPrefetchBytes;
  MIXQ_DECODE_UNROLL for (int i = j * kLines / kTiles; i < (j + 1) * kLines / kTiles; ++i) {
    if constexpr (kPinned) asm volatile("prefetcht0 %0" : : "m"(*(base + 64 * i)));
    else _mm_prefetch(base + 64 * i, _MM_HINT_T0);
  }
}

// The prefetches of a lone tile whose bytes are not a whole number of lines (the last
// 32-element tile of a row of an odd block count): its byte count rounded up to lines, so one
// line may be fetched twice.
template <size_t kBytes>
MIXQ_DECODE_INLINE void PrefetchTile(const uint8_t* tile) {
  const char* base = reinterpret_cast<const char*>(tile) + kPrefetchBytes;
  MIXQ_DECODE_UNROLL for (size_t i = 0; i < (kBytes + 63) / 64; ++i) _mm_prefetch(base + 64 * i, _MM_HINT_T0);
}

// Decode of a group of `blocks` 32-element tiles of kBytes each from `first`: runs of kRun
// (unrolled, pinned straight-line prefetches), then pairs (also a whole number of lines), then
// a lone tile. block(b) computes tile b.
template <size_t kBytes, typename BlockFn>
MIXQ_DECODE_INLINE void WalkDecodeRuns(const uint8_t* first, int64_t blocks, BlockFn&& block) {
  constexpr int kRunLines = static_cast<int>(kRun * kBytes / 64);
  static_assert(kRun * kBytes % 64 == 0 && 2 * kBytes % 64 == 0);
  int64_t b = 0;
  for (; b + kRun <= blocks; b += kRun) {
    MIXQ_DECODE_UNROLL for (int j = 0; j < kRun; ++j) {
      PrefetchShare<kRunLines, kRun, true>(first + b * kBytes, j);
      block(b + j);
    }
  }
  for (; b + 2 <= blocks; b += 2) {
    MIXQ_DECODE_UNROLL for (int j = 0; j < 2; ++j) {
      PrefetchShare<static_cast<int>(2 * kBytes / 64), 2, true>(first + b * kBytes, j);
      block(b + j);
    }
  }
  if (b < blocks) {
    PrefetchTile<kBytes>(first + b * kBytes);
    block(b);
  }
}

}  // namespace
}  // namespace mixq::kernels

import { describe, expect, it } from 'vitest';
import { cpuinfoHasVnni, int8RangeForCpu, resolveReduceRange } from '../../src/quant/cpu-int8.js';

// Trimmed /proc/cpuinfo texts of real machines.
const EPYC_AVX2 = `processor\t: 0
vendor_id\t: AuthenticAMD
model name\t: AMD EPYC
flags\t\t: fpu vme sse sse2 ssse3 fma sse4_1 sse4_2 avx f16c avx2 bmi1 bmi2 sha_ni xsaveopt clzero
bugs\t\t: sysret_ss_attrs
`;
const SKYLAKE_AVX512_NO_VNNI = `processor\t: 0
model name\t: Intel(R) Xeon(R) Platinum 8175M CPU @ 2.50GHz
flags\t\t: fpu sse sse2 avx avx2 avx512f avx512dq avx512cd avx512bw avx512vl xsaveopt
`;
const ICELAKE_AVX512_VNNI = `processor\t: 0
model name\t: Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz
flags\t\t: fpu sse avx avx2 avx512f avx512bw avx512vl avx512_vnni avx512_bitalg avx512_vpopcntdq
`;
const ALDERLAKE_AVX_VNNI = `processor\t: 0
model name\t: 12th Gen Intel(R) Core(TM) i7-12700H
flags\t\t: fpu sse avx avx2 fma sha_ni avx_vnni movdiri movdir64b
`;
// A flag that merely contains the name must not count.
const LOOKALIKE = `flags\t\t: fpu avx2 avx512_vnnix not_avx_vnni
`;
const ARM64 = `processor\t: 0
BogoMIPS\t: 243.75
Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp
CPU implementer\t: 0x41
`;

describe('int8 weight range for the CPU (from /proc/cpuinfo texts)', () => {
  it('finds avx512_vnni or avx_vnni among the flags, as whole flags only', () => {
    expect(cpuinfoHasVnni(EPYC_AVX2)).toBe(false);
    expect(cpuinfoHasVnni(SKYLAKE_AVX512_NO_VNNI)).toBe(false);
    expect(cpuinfoHasVnni(ICELAKE_AVX512_VNNI)).toBe(true);
    expect(cpuinfoHasVnni(ALDERLAKE_AVX_VNNI)).toBe(true);
    expect(cpuinfoHasVnni(LOOKALIKE)).toBe(false);
    expect(cpuinfoHasVnni('')).toBe(false);
  });

  it('chooses 7-bit weights on x86-64 without VNNI, AVX-512 included, and says why', () => {
    for (const text of [EPYC_AVX2, SKYLAKE_AVX512_NO_VNNI]) {
      const c = int8RangeForCpu('x64', text);
      expect(c.reduceRange).toBe(true);
      expect(c.reason).toMatch(/no VNNI/);
    }
  });

  it('keeps the full range on x86-64 with VNNI', () => {
    for (const text of [ICELAKE_AVX512_VNNI, ALDERLAKE_AVX_VNNI]) {
      expect(int8RangeForCpu('x64', text)).toEqual({
        reduceRange: false,
        reason: 'auto: full 8-bit range, the CPU has VNNI',
      });
    }
  });

  it('chooses 7-bit weights on x86 when the flags cannot be read (the safe choice)', () => {
    for (const text of [undefined, 'processor\t: 0\n']) {
      const c = int8RangeForCpu('x64', text);
      expect(c.reduceRange).toBe(true);
      expect(c.reason).toMatch(/cannot be read/);
    }
    expect(int8RangeForCpu('ia32', undefined).reduceRange).toBe(true);
  });

  it('keeps the full range on arm64, whose int8 kernels do not saturate', () => {
    for (const text of [ARM64, undefined]) {
      const c = int8RangeForCpu('arm64', text);
      expect(c.reduceRange).toBe(false);
      expect(c.reason).toMatch(/arm64/);
    }
  });

  it('takes an explicit boolean as the caller gives it', () => {
    expect(resolveReduceRange(true)).toMatchObject({ reduceRange: true });
    expect(resolveReduceRange(false)).toMatchObject({ reduceRange: false });
    expect(resolveReduceRange('auto').reason).toMatch(/^auto: /);
    expect(resolveReduceRange(undefined)).toEqual(resolveReduceRange('auto'));
  });
});

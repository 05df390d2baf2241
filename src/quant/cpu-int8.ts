/**
 * Which int8 weight range suits the CPU: ONNX Runtime's uint8 x int8 (u8s8) kernels on x86-64 without VNNI
 * multiply with `vpmaddubsw`, whose 16-bit pair sums saturate with full-range weights (255 * 127 * 2 > 32767),
 * so such CPUs need 7-bit weights (`reduceRange`). VNNI (`vpdpbusd`) and arm64 kernels accumulate in 32 bits.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import type { ReduceRangeChoice } from './quantize-options.js';

/**
 * True when a `/proc/cpuinfo` text lists AVX-512 VNNI or AVX-VNNI among the flags of its first processor.
 *
 * @param cpuinfo - the contents of `/proc/cpuinfo`
 */
export function cpuinfoHasVnni(cpuinfo: string): boolean {
  const flags = /^flags\s*:(.*)$/m.exec(cpuinfo)?.[1];
  if (flags === undefined) return false;
  const set = new Set(flags.trim().split(/\s+/));
  return set.has('avx512_vnni') || set.has('avx_vnni');
}

/**
 * The weight range to use on a machine, with the reason (pure: takes the facts, reads nothing).
 *
 * @param arch - `process.arch` (`x64`, `ia32`, `arm64`, ...)
 * @param cpuinfo - the contents of `/proc/cpuinfo`, or `undefined` where it cannot be read (not Linux)
 */
export function int8RangeForCpu(arch: string, cpuinfo: string | undefined): ReduceRangeChoice {
  if (arch !== 'x64' && arch !== 'ia32') {
    return {
      reduceRange: false,
      reason: `auto: full 8-bit range on ${arch} (its int8 kernels accumulate in 32 bits, no saturation)`,
    };
  }
  if (cpuinfo === undefined || !/^flags\s*:/m.test(cpuinfo)) {
    return {
      reduceRange: true,
      reason:
        'auto: 7-bit weights, as the CPU flags cannot be read to check for VNNI (without it, full-range int8 products saturate in ONNX Runtime)',
    };
  }
  return cpuinfoHasVnni(cpuinfo)
    ? { reduceRange: false, reason: 'auto: full 8-bit range, the CPU has VNNI' }
    : {
        reduceRange: true,
        reason:
          'auto: 7-bit weights, the CPU has no VNNI (ONNX Runtime would saturate full-range int8 products on it)',
      };
}

let host: ReduceRangeChoice | undefined;

/** {@link int8RangeForCpu} for the machine running this process (reads `/proc/cpuinfo` once on Linux). */
export function hostInt8Range(): ReduceRangeChoice {
  if (!host) {
    let cpuinfo: string | undefined;
    if (process.platform === 'linux') {
      try {
        cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
      } catch {
        cpuinfo = undefined;
      }
    }
    host = int8RangeForCpu(process.arch, cpuinfo);
  }
  return host;
}

/**
 * Resolves the `reduceRange` option: `'auto'` (the default) asks {@link hostInt8Range}; a boolean is the
 * caller's choice.
 *
 * @param option - the option as passed
 */
export function resolveReduceRange(option: boolean | 'auto' | undefined): ReduceRangeChoice {
  if (option === true) return { reduceRange: true, reason: 'reduceRange: true was asked (7-bit weights)' };
  if (option === false)
    return { reduceRange: false, reason: 'reduceRange: false was asked (full 8-bit range)' };
  return hostInt8Range();
}

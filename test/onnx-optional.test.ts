/**
 * protobufjs (ONNX file reading and writing: quantize, optimize, LoRA training and merging) is an optional peer
 * dependency: botlens imports without it, and the features that need it name the install command.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeGraph, makeModel, makeNode, makeValueInfo } from '../src/onnx/onnx-build.js';
import { saveOnnxModel } from '../src/onnx/onnx-model.js';
import { float32Tensor } from '../src/onnx/onnx-tensor.js';
import { TensorDataType } from '../src/onnx/onnx-types.js';
import { quantize } from '../src/quant/quantize.js';
import { ROOT, runProcess } from './helpers/run-cli.js';
import { hidePackageArgs, runWithoutPackage } from './helpers/without-package.js';
import { useWorkDir } from './helpers/work-dir.js';

const work = useWorkDir('botlens-no-protobufjs-');

/**
 * Writes a transformers.js model folder (config.json, onnx/model.onnx) holding a two-layer float32 MLP whose first
 * layer the quantizer quantizes, with this process's protobufjs.
 *
 * @param name - the folder's name inside the work folder
 */
async function modelFolder(name: string): Promise<string> {
  const dir = work.path(name);
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'bert', num_attention_heads: 2 }));
  const weights = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 0.3);
  const graph = makeGraph({
    nodes: [
      makeNode('MatMul', ['x', 'W1'], ['h'], { name: 'fc1/MatMul' }),
      makeNode('Relu', ['h'], ['r'], { name: 'relu' }),
      makeNode('MatMul', ['r', 'W2'], ['y'], { name: 'head/MatMul' }),
    ],
    inputs: [makeValueInfo('x', TensorDataType.FLOAT, ['batch', 64])],
    outputs: [makeValueInfo('y', TensorDataType.FLOAT, ['batch', 16])],
    initializers: [
      float32Tensor('W1', [64, 64], weights(64 * 64)),
      float32Tensor('W2', [64, 16], weights(64 * 16)),
    ],
  });
  await saveOnnxModel(makeModel(graph, { opset: 18 }), join(dir, 'onnx', 'model.onnx'));
  return dir;
}

/** The last line of a child's output, parsed. */
function lastJson(out: string): unknown {
  return JSON.parse(out.trim().split('\n').at(-1)!);
}

describe('protobufjs is an optional peer dependency', () => {
  it('without protobufjs: botlens and every subpath import, and nothing loads it', () => {
    const out = runWithoutPackage(
      'protobufjs',
      `
      for (const entry of ['index', 'detectors/index', 'peft/index', 'quant/index', 'select/index', 'corpus/index', 'server/index', 'testing/index']) {
        await import('./src/' + entry + '.ts');
      }
      console.log(JSON.stringify({ imported: true }));`,
    );
    expect(lastJson(out)).toEqual({ imported: true });
  });

  it('without protobufjs: quantize, optimize and loadOnnxModel throw MissingDependencyError naming the install, and write nothing', async () => {
    const dir = await modelFolder('model');
    const optimized = work.path('optimized');
    const out = runWithoutPackage(
      'protobufjs',
      `
      const { quantize, optimizeModelFolder } = await import('./src/quant/index.ts');
      const { loadOnnxModel } = await import('./src/onnx/onnx-model.ts');
      const dir = ${JSON.stringify(dir)};
      const errors = [];
      for (const run of [
        () => quantize(dir, { bits: 8, verify: false }),
        () => optimizeModelFolder(dir, { out: ${JSON.stringify(optimized)} }),
        () => loadOnnxModel(dir + '/onnx/model.onnx'),
      ]) {
        errors.push(await run().then(() => 'no error', (e) => ({ name: e.name, code: e.code, packageName: e.packageName, message: e.message })));
      }
      console.log(JSON.stringify(errors));`,
    );
    const errors = lastJson(out) as { message: string }[];
    expect(errors).toHaveLength(3);
    for (const e of errors) {
      expect(e).toMatchObject({
        name: 'MissingDependencyError',
        code: 'MISSING_DEPENDENCY',
        packageName: 'protobufjs',
      });
      expect(e.message).toContain('run `npm install protobufjs`');
      expect(e.message).toContain('reading and writing ONNX files');
    }
    expect(readdirSync(join(dir, 'onnx'))).toEqual(['model.onnx']);
    expect(existsSync(optimized)).toBe(false);
    // The same folder quantizes where protobufjs is installed (this process): only the package was missing.
    const r = await quantize(dir, { bits: 8, verify: false });
    expect(r.files[0]!.report.status).toBe('quantized');
  });

  it('without protobufjs: `botlens quantize` exits 1 with the install command and no stack trace', async () => {
    const dir = await modelFolder('cli-model');
    const r = await runProcess(
      process.execPath,
      [
        ...hidePackageArgs('protobufjs'),
        '--import',
        'tsx',
        resolve(ROOT, 'src/cli/main.ts'),
        'quantize',
        dir,
        '--bits',
        '8',
      ],
      { env: { ...process.env, BOTLENS_OFFLINE: '1', NODE_OPTIONS: '', NO_COLOR: '1' } },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('The optional package "protobufjs"');
    expect(r.stderr).toContain('run `npm install protobufjs`');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(readdirSync(join(dir, 'onnx'))).toEqual(['model.onnx']);
  });
});

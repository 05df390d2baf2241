import { describe, expect, it } from 'vitest';
import { InvalidOptionsError } from '../../src/errors/invalid-options-error.js';
import { parseServiceConfig } from '../../src/server/config.js';

/** The error `parseServiceConfig` throws for `raw`. */
function refusal(raw: unknown): InvalidOptionsError {
  try {
    parseServiceConfig(raw);
  } catch (err) {
    if (InvalidOptionsError.isInstance(err)) return err;
    throw err;
  }
  throw new Error('expected the config to be refused');
}

describe('an unknown key of the service config', () => {
  it('is named with its place, the nearest valid key and the valid keys, as the library names option typos', () => {
    const e = refusal({ server: { maxMessage: 500 } });
    expect(e.option).toBe('server.maxMessage');
    expect(e.message).toMatch(
      /^Invalid option "server\.maxMessage": not a key of "server" in the config; did you mean "maxMessages"\? Its keys are host, port, .*maxMessages, truncate, .*: remove or rename it\.$/,
    );
    expect(e.message).not.toMatch(/Unrecognized/);
  });

  it('at the top level and in the ensemble, where a misspelt key comes before the key it leaves missing', () => {
    const top = refusal({ servr: {} });
    expect(top.option).toBe('servr');
    expect(top.message).toMatch(
      /not a key of the config; did you mean "server"\? Its keys are \$schema, ensemble, fitted/,
    );
    const ens = refusal({ ensemble: { stratgy: 'weighted-mean', detectors: [{ type: 'heuristic' }] } });
    expect(ens.option).toBe('ensemble.stratgy');
    expect(ens.message).toMatch(/did you mean "strategy"\?.*; ensemble\.strategy: strategy is missing/);
  });

  it("in a detector entry: its type's options (and type) are the valid keys", () => {
    const e = refusal({
      ensemble: { strategy: 'weighted-mean', detectors: [{ type: 'heuristic', thresold: 0.5 }] },
    });
    expect(e.option).toBe('ensemble.detectors[0].thresold');
    expect(e.message).toMatch(
      /^Invalid option "ensemble\.detectors\[0\]\.thresold": not a key of "ensemble\.detectors\[0\]" in the config; did you mean "threshold"\? Its keys are type, name, threshold, .*evidenceShrinkage: remove or rename it\.$/,
    );
    expect(e.message).not.toMatch(/Unrecognized/);
    // A model-backed type's own keys, in the second entry.
    const m = refusal({
      ensemble: {
        strategy: 'weighted-mean',
        detectors: [{ type: 'heuristic' }, { type: 'embedding', embedder: 'hashing', knnStopShar: 0.5 }],
      },
    });
    expect(m.option).toBe('ensemble.detectors[1].knnStopShar');
    expect(m.message).toMatch(
      /did you mean "knnStopShare"\? Its keys are type, name, threshold, model, modelDir, /,
    );
    // An unknown type is still named as such.
    expect(
      refusal({ ensemble: { strategy: 'weighted-mean', detectors: [{ type: 'heuristik', x: 1 }] } }).message,
    ).toMatch(/ensemble\.detectors\[0\]\.type.*type must be one of heuristic/);
  });

  it('names every unknown key of one object, the first with the hint', () => {
    const e = refusal({ server: { maxMessage: 500, prot: 8080 } });
    expect(e.message).toMatch(
      /"server\.maxMessage": not a key of "server" in the config \(nor are "prot"\); did you mean "maxMessages"\?/,
    );
  });
});

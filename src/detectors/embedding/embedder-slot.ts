import { refuseUnknownKeys } from '../../core/refuse-unknown-keys.js';
import { InvalidOptionsError } from '../../errors/invalid-options-error.js';
import type { Embedder } from '../../runtime/embedder.js';
import type { SerializedModelOptions } from '../../runtime/model-options.js';
import type { TransformersEmbedderOptions } from '../../runtime/transformers-embedder.js';
import { TRANSFORMERS_EMBEDDER_OPTION_KEYS } from '../../runtime/transformers-embedder-options.js';
import type { FittedModel } from './model.js';
import { embedderSource } from './state.js';

/**
 * The embedding detector's embedder: the one passed in (left open by `dispose`), or a `TransformersEmbedder`
 * created on first use from `embedderOptions` (the detector owns it and disposes of it).
 *
 * @internal
 */
export class EmbedderSlot {
  private embedder: Embedder | undefined;
  private pending: Promise<Embedder> | undefined;
  /** True when the detector created the embedder (or rebuilt it from saved state) and so disposes of it. */
  owns: boolean;

  /**
   * @param embedder - the embedder passed in, if any
   * @param options - for the default transformer embedder
   * @throws InvalidOptionsError when `embedder` is not an Embedder, or `options` has a key
   *   `TransformersEmbedderOptions` does not
   */
  constructor(
    embedder: Embedder | undefined,
    private readonly options: TransformersEmbedderOptions = {},
  ) {
    // Checked now, not when the embedder is first created (a misspelt key failed only at the first fit or detect).
    refuseUnknownKeys(
      options,
      TRANSFORMERS_EMBEDDER_OPTION_KEYS,
      'the embedder options (those of new TransformersEmbedder())',
      { at: 'embedderOptions' },
    );
    if (embedder !== undefined) {
      const e = embedder as Partial<Embedder> | null;
      if (typeof e !== 'object' || e === null || typeof e.embed !== 'function' || typeof e.id !== 'string') {
        throw new InvalidOptionsError(
          'embedder',
          'expected an Embedder: an object with an id string and an embed() method',
        );
      }
    }
    this.embedder = embedder;
    this.owns = embedder === undefined;
  }

  /** The embedder's id when there is one yet. */
  get id(): string | undefined {
    return this.embedder?.id;
  }

  /** The embedder, created on first use when none was passed in. */
  async get(): Promise<Embedder> {
    if (this.embedder) return this.embedder;
    this.pending ??= import('../../runtime/transformers-embedder.js').then(({ TransformersEmbedder }) => {
      const e = new TransformersEmbedder(this.options);
      this.embedder = e;
      return e;
    });
    return this.pending;
  }

  /** The embedder, checked to be the one `m` was fitted with (InvalidOptionsError naming both otherwise). */
  async checked(m: FittedModel): Promise<Embedder> {
    const e = await this.get();
    if (e.id !== m.embedderId) {
      throw new InvalidOptionsError(
        'embedder',
        `this detector was fitted with embedder "${m.embedderId}" but is using "${e.id}": pass an embedder with the same id (same model and settings) or fit again`,
      );
    }
    return e;
  }

  /** Where the embedder's model comes from, for saved state (see `embedderSource`). */
  source(id: string | null): SerializedModelOptions | undefined {
    return embedderSource(this.embedder, id, this.options);
  }

  /** Disposes of an embedder the detector owns (one passed in is left open and kept). */
  async dispose(): Promise<void> {
    if (this.owns && this.embedder?.dispose) await this.embedder.dispose();
    if (this.owns) this.embedder = undefined;
    this.pending = undefined;
  }
}

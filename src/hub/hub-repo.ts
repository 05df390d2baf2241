/**
 * The `@huggingface/hub` calls on a model repo that `fetchModelFacts` and `pullModel` share: the repo, revision
 * and access parameters every call takes, and the listing of the repo's files.
 *
 * @internal
 * @packageDocumentation
 */
import type { ResolvedHubAccess } from './hub-options.js';

/** The `@huggingface/hub` module (imported lazily by its users). @internal */
export type HubModule = typeof import('@huggingface/hub');

/** A file entry of a repo listing. @internal */
export type HubListEntry = Awaited<ReturnType<ReturnType<HubModule['listFiles']>['next']>>['value'] & {
  type: 'file';
};

/**
 * The parameters every `@huggingface/hub` call on model repo `id` takes: the repo, the revision and the access.
 *
 * @param id - the repo id, `owner/name`
 * @param hub - the resolved access
 *
 * @internal
 */
export function hubRepoParams(id: string, hub: ResolvedHubAccess) {
  return {
    repo: { type: 'model' as const, name: id },
    revision: hub.revision,
    hubUrl: hub.hubUrl,
    accessToken: hub.accessToken,
    fetch: hub.fetch,
  };
}

/**
 * The files of model repo `id`, folders walked, in the hub's order (folders left out).
 *
 * @param lib - the `@huggingface/hub` module
 * @param id - the repo id
 * @param hub - the resolved access
 *
 * @internal
 */
export async function* listHubFiles(
  lib: HubModule,
  id: string,
  hub: ResolvedHubAccess,
): AsyncGenerator<HubListEntry> {
  for await (const entry of lib.listFiles({ ...hubRepoParams(id, hub), recursive: true })) {
    if (entry.type === 'file') yield entry as HubListEntry;
  }
}

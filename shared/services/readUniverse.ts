/** Reads the universe the policy manages (the Symbiotic adapter's read) and hashes it for the run record. */
import type { Address } from 'viem'
import { chainSyncFor } from '../chain/sync/index.js'
import type { Universe } from '../domain/index.js'
import { labeler as labelsOf } from '../label.js'
import { universeHash } from '../pipeline/universeHash.js'
import { readSymbiotic } from '../protocols/symbiotic/adapter.js'
import type { AutopilotContext } from './context.js'

/** Reads every configured vault at the latest block. `curator` is whose roles are checked (default: the DAO's Safe, else our signer). */
export async function readUniverse(ctx: AutopilotContext, curator?: Address): Promise<{ universe: Universe; universeHash: string }> {
  const { universe } = await readSymbiotic({ ...ctx, chainSync: chainSyncFor(ctx) }, curator)
  return { universe, universeHash: universeHash(universe) }
}

/** Label of an address / subnetwork id from the config, else a short hex. */
export function labeler(ctx: AutopilotContext): (k: string) => string {
  return labelsOf(ctx.config.labels)
}

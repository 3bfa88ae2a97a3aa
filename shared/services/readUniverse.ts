/** Reads the universe the policy manages (Symbiotic today) and hashes it for the run record. */
import { type Address, keccak256, stringToHex } from 'viem'
import { readSymbioticUniverse } from '../protocols/symbiotic/reader.js'
import type { Universe } from '../domain/index.js'
import { encodeJson } from '../store/client.js'
import { labeler as labelsOf } from '../label.js'
import type { AutopilotContext } from './context.js'

/** Reads every configured vault at the latest block. `curator` is whose roles are checked (default: our signer). */
export async function readUniverse(ctx: AutopilotContext, curator?: Address): Promise<{ universe: Universe; universeHash: string }> {
  const { config } = ctx
  const universe = await readSymbioticUniverse(ctx.client, {
    operatorVaultOptInService: config.symbiotic.operatorVaultOptInService,
    operatorNetworkOptInService: config.symbiotic.operatorNetworkOptInService,
    vaults: config.vaults,
    curator: curator ?? ctx.account?.address ?? '0x0000000000000000000000000000000000000000',
    labels: config.labels,
    fromBlock: config.fromBlock,
    rewardLookbackSeconds: config.rewardLookbackDays * 86_400,
  })
  return { universe, universeHash: keccak256(stringToHex(encodeJson(universe))) }
}

/** Label of an address / subnetwork id from the config, else a short hex. */
export function labeler(ctx: AutopilotContext): (k: string) => string {
  return labelsOf(ctx.config.labels)
}

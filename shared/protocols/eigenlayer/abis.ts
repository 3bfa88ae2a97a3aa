/**
 * EigenLayer slashing-release (v1.x): the bot's ABIs and the protocol constants it needs. The ABIs are JSON `as const`
 * generated into ./eigenlayer.gen.ts (only what the Lambdas use + every custom error) from the human-readable signatures
 * in local/scripts/abiSignatures.ts (published interfaces of Layr-Labs/eigenlayer-contracts v1.6.0; see there), so no
 * bundle parses ABIs at init. test/unit/eigenlayerAbi.test.ts pins every selector and topic to the published
 * signatures and to the local harness; the local world uses the full ABIs in local/world/abis/eigenlayer.ts.
 */
export { allocationManagerAbi, delegationManagerAbi, rewardsCoordinatorAbi, strategyAbi, strategyManagerAbi } from './abis.gen.js'

/** `WAD` of SlashingLib (uint64 1e18): the initial max magnitude and the "one" of every scaling factor. */
export const WAD = 10n ** 18n

/** The virtual beacon-chain ETH strategy (EigenPods), never a token strategy. */
export const BEACON_CHAIN_ETH_STRATEGY = '0xbeaC0eeEeeeeEEeEeEEEEeeEEeEeeeEeeEEBEaC0' as const

/**
 * The parts of the Safe 1.4.1, MultiSendCallOnly 1.4.1 and Zodiac Roles v2 ABIs that DAO mode uses, and the Safe
 * constants. The ABIs are JSON `as const` generated into shared/chain/safe/abis.gen.ts (only what the Lambdas use +
 * every Roles custom error) from the human-readable signatures in local/scripts/abiSignatures.ts, so no bundle parses
 * ABIs at init. test/unit/daoAbi.test.ts pins every selector against the official artifacts (`@safe-global/safe-contracts`,
 * `zodiac-roles-sdk` typechain); the local world uses the full ABIs in local/world/abis/safe.ts.
 */
export { multiSendAbi, rolesModifierAbi, safeAbi } from './abis.gen.js'

/** Canonical address of MultiSendCallOnly 1.4.1 (same on every chain where the Safe singleton factory deployed it). */
export const MULTI_SEND_CALL_ONLY_141 = '0x9641d764fc13c8B624c04430C7356C1C7C8102e2' as const

/** `Enum.Operation` of the Safe and the Roles modifier. */
export const Operation = { Call: 0, DelegateCall: 1 } as const

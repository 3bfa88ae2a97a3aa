/**
 * One address form inside the bot: lower case, made once where an address comes in (the config schema, chain reads,
 * event logs, requests), so that map keys and comparisons never depend on how a source spelled it.
 */
import { type Address, type Hex, zeroAddress } from 'viem'

declare const lowerCase: unique symbol

/** An address in lower case. Assignable to viem's `Address`; made by {@link toAddr}. */
export type Addr = Address & { readonly [lowerCase]: true }

/**
 * The lower-case form of an address. It does not validate: untrusted text is validated where it enters (the config
 * schema, the webhook's request schema); chain reads and decoded logs are addresses by construction.
 * @param a an address in any case (checksummed or not)
 */
export function toAddr(a: string): Addr {
  return a.toLowerCase() as Addr
}

/** The zero address as an {@link Addr}, for comparisons with normalised addresses. */
export const zeroAddr: Addr = /* @__PURE__ */ toAddr(zeroAddress)

/**
 * The lower-case form of any other hex id (bytes32 subnetworks and operator-set keys, role keys), type kept.
 * @param h hex in any case
 */
export function lowerHex<T extends Hex = Hex>(h: string): T {
  return h.toLowerCase() as T
}

/** Labels for people: the config's label of an address or service id, else a short hex. */
import { keccak256, stringToHex } from 'viem'
import type { Universe } from '../domain/index.js'
import { encodeJson } from '../store/client.js'

/** A labeler over a labels map (keys lower-case). */
export function labeler(labels: Readonly<Record<string, string>>): (k: string) => string {
  return (k) => labels[k.toLowerCase()] ?? `${k.slice(0, 8)}…${k.slice(-4)}`
}

/** The hash of a universe as recorded with its run (exact bigints). */
export function universeHash(universe: Universe): string {
  return keccak256(stringToHex(encodeJson(universe)))
}

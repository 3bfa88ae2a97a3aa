/** The hash of a universe as recorded with its run (exact bigints). */
import { keccak256, stringToHex } from 'viem'
import type { Universe } from '../domain/index.js'
import { encodeJson } from '../store/client.js'

/** keccak256 of the universe's exact JSON. */
export function universeHash(universe: Universe): string {
  return keccak256(stringToHex(encodeJson(universe)))
}

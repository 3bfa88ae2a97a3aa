/** Decodes why a simulated call reverted: the custom error's name and arguments (known constants named), or the node's message. */
import { BaseError, ContractFunctionRevertedError } from 'viem'
import type { RevertArgNames } from './types.js'

/**
 * `ErrorName(arg, …)` for a contract revert, else the shortest message viem gives.
 * @param argNames names for known constant arguments (e.g. a protocol's role ids), from the protocol adapter
 */
export function decodeRevert(error: unknown, argNames: RevertArgNames = {}): string {
  if (error instanceof BaseError) {
    const revert = error.walk((e) => e instanceof ContractFunctionRevertedError)
    if (revert instanceof ContractFunctionRevertedError) {
      const name = revert.data?.errorName ?? revert.reason ?? 'unknown revert'
      const args = (revert.data?.args ?? []).map((a) => (typeof a === 'string' && Object.hasOwn(argNames, a) ? argNames[a]! : String(a)))
      return `${name}(${args.join(', ')})`
    }
    return error.shortMessage
  }
  return error instanceof Error ? error.message : String(error)
}

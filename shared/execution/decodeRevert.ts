/** Decodes why a simulated call reverted: the custom error's name and arguments (role ids named), or the node's message. */
import { BaseError, ContractFunctionRevertedError } from 'viem'
import { ROLE_NAMES } from '../protocols/symbiotic/roles.js'

/** `ErrorName(arg, …)` for a contract revert, else the shortest message viem gives. */
export function decodeRevert(error: unknown): string {
  if (error instanceof BaseError) {
    const revert = error.walk((e) => e instanceof ContractFunctionRevertedError)
    if (revert instanceof ContractFunctionRevertedError) {
      const name = revert.data?.errorName ?? revert.reason ?? 'unknown revert'
      const args = (revert.data?.args ?? []).map((a) => (typeof a === 'string' && a in ROLE_NAMES ? ROLE_NAMES[a as keyof typeof ROLE_NAMES] : String(a)))
      return `${name}(${args.join(', ')})`
    }
    return error.shortMessage
  }
  return error instanceof Error ? error.message : String(error)
}

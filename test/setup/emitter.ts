/** A log emitter for the chain sync's tests and bench: a contract that emits LOG1(topic, calldata) on any call (no compiler needed). */
import { type Account, type Address, type Hex, encodeAbiParameters, parseAbiItem, toEventSelector } from 'viem'
import type { LocalChain } from '../../local/world/chain.js'

/** The event an emitter emits by default: its data is the call's 32-byte argument. */
export const PING = parseAbiItem('event Ping(uint256 value)')

/** Init code of an emitter for `topic`: runtime = CALLDATACOPY(0, 0, size); LOG1(0, size, topic); STOP. */
export function emitterCode(topic: Hex): Hex {
  const runtime = `3660006000377f${topic.slice(2)}366000a100`
  return `0x602c600c600039602c6000f3${runtime}`
}

/** Deploys an emitter of `topic` (default Ping); returns its address. */
export async function deployEmitter(c: LocalChain, account: Account, topic: Hex = toEventSelector(PING)): Promise<Address> {
  const hash = await c.wallet.sendTransaction({ account, chain: c.wallet.chain, data: emitterCode(topic) })
  return (await c.public.waitForTransactionReceipt({ hash })).contractAddress!
}

/** Calls an emitter with `value` (one block on Anvil's automine); returns the block it landed in. */
export async function ping(c: LocalChain, account: Account, to: Address, value: bigint): Promise<bigint> {
  const hash = await c.wallet.sendTransaction({ account, chain: c.wallet.chain, to, data: encodeAbiParameters([{ type: 'uint256' }], [value]) })
  return (await c.public.waitForTransactionReceipt({ hash })).blockNumber
}

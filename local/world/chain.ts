/** Thin viem plumbing for seeding the local world: one client, deploys and writes that must succeed, time travel. */
import {
  type Abi,
  type Account,
  type Address,
  type ContractFunctionArgs,
  type ContractFunctionName,
  type Hex,
  type PublicClient,
  createPublicClient,
  createTestClient,
  createWalletClient,
  encodeDeployData,
  http,
  type TestClient,
  type WalletClient,
} from 'viem'
import { localChain } from '../../shared/chain/client.js'

/** Clients bound to the local Anvil. */
export interface LocalChain {
  rpcUrl: string
  chainId: number
  public: PublicClient
  test: TestClient<'anvil'>
  wallet: WalletClient
}

/** Creates clients for the local Anvil (fast polling: anvil mines instantly). */
export function connectLocal(rpcUrl: string, chainId: number): LocalChain {
  const chain = localChain(chainId)
  const transport = http(rpcUrl, { batch: false, retryCount: 0 })
  return {
    rpcUrl,
    chainId,
    public: createPublicClient({ chain, transport, pollingInterval: 50 }),
    test: createTestClient({ chain, transport, mode: 'anvil', pollingInterval: 50 }),
    wallet: createWalletClient({ chain, transport, pollingInterval: 50 }),
  }
}

/** Deploys `bytecode ++ abi.encode(args)` from `account`; returns the new address. */
export async function deploy(c: LocalChain, account: Account, abi: Abi, bytecode: Hex, args: readonly unknown[] = []): Promise<Address> {
  const data = encodeDeployData({ abi, bytecode, args } as never)
  const hash = await c.wallet.sendTransaction({ account, data, chain: c.wallet.chain, gas: 29_000_000n })
  const receipt = await c.public.waitForTransactionReceipt({ hash })
  if (receipt.status !== 'success' || !receipt.contractAddress) throw new Error(`deploy failed (tx ${hash})`)
  return receipt.contractAddress
}

/** Sends a contract write (simulated first, so a revert throws with its decoded reason) and waits for success. */
export async function write<const abi extends Abi, functionName extends ContractFunctionName<abi, 'nonpayable' | 'payable'>, args extends ContractFunctionArgs<abi, 'nonpayable' | 'payable', functionName>>(
  c: LocalChain,
  account: Account,
  call: { address: Address; abi: abi; functionName: functionName; args: args },
): Promise<Hex> {
  const params = { address: call.address, abi: call.abi, functionName: call.functionName, args: call.args, account } as never
  const { request } = await c.public.simulateContract(params)
  // Headroom: a Symbiotic checkpoint write costs far more when it lands in a new second than the estimate
  // (made against the current block) says; the bare estimate runs out of gas intermittently.
  const gas = await c.public.estimateContractGas(params)
  const hash = await c.wallet.writeContract({ ...(request as object), gas: (gas * 125n) / 100n + 120_000n } as never)
  const receipt = await c.public.waitForTransactionReceipt({ hash })
  if (receipt.status !== 'success') throw new Error(`${String(call.functionName)} reverted on-chain (tx ${hash})`)
  return hash
}

/** Moves chain time forward by `seconds` and mines a block. */
export async function advanceTime(c: LocalChain, seconds: number): Promise<void> {
  await c.test.increaseTime({ seconds })
  await c.test.mine({ blocks: 1 })
}

/** Latest block timestamp (unix seconds). */
export async function chainNow(c: LocalChain): Promise<bigint> {
  return (await c.public.getBlock({ blockTag: 'latest' })).timestamp
}

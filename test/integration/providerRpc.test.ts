/**
 * Provider-proof RPC on the real local world, through the provider-shaped proxy (test/setup/providerProxy.ts): the
 * proxy answers each provider's exact refusals; the readers' results through every profile (limits scaled down to the
 * short local chain, periodic 429s both whole-request and per batch item) equal a direct connection's; failover to a
 * second URL; a node on another chain refused before anything is read; multicalls split under a gas cap.
 */
import { type Address, encodeFunctionData, getAbiItem, toEventSelector } from 'viem'
import { multicall as viemMulticall } from 'viem/actions'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AnvilNode, startAnvil } from '../../local/world/anvil.js'
import * as abis from '../../shared/protocols/symbiotic/abis.js'
import { MULTICALL3_ADDRESS, type CreateReaderParameters, createReader } from '../../shared/chain/client.js'
import { readEigenLayerUniverse } from '../../shared/protocols/eigenlayer/reader.js'
import { readSymbioticUniverse } from '../../shared/protocols/symbiotic/reader.js'
import { createLogFetcher } from '../../shared/chain/rpc/getLogs.js'
import { multicallWithinGas } from '../../shared/chain/rpc/multicall.js'
import { LOCAL_WORLD_LIMITS, type ProviderName, type ProviderProxy, PROVIDER_PROFILES, localWorldProfile, providerProfile, startProviderProxy } from '../setup/providerProxy.js'
import { world } from '../setup/worldHandle.js'

const w = world()
const rpc = w.config.rpcUrl
const chainId = w.config.chainId
const el = w.config.eigenlayer

/** Everything the bot reads of the world (Symbiotic, and EigenLayer when configured), at the latest block. */
async function readAll(p: Partial<CreateReaderParameters>) {
  const client = createReader({ rpcUrl: rpc, chainId, ...p })
  const symbiotic = await readSymbioticUniverse(client, { ...w.config.symbiotic, vaults: w.config.vaults, curator: w.seeded.curator.address, labels: w.config.labels, fromBlock: w.config.fromBlock })
  const eigenlayer = el
    ? await readEigenLayerUniverse(client, { ...el, strategy: el.positions[0]!.strategy, stakers: el.positions[0]!.stakers.map((s) => s.address), labels: w.config.labels, fromBlock: BigInt(el.fromBlock ?? 0) })
    : undefined
  return { symbiotic, eigenlayer }
}

/** The messages of an error and its causes. */
const causeText = (e: unknown): string => (e instanceof Error ? `${e.message}\n${causeText(e.cause)}` : '')

const post = async (url: string, body: unknown) => {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return { status: res.status, headers: res.headers, json: (await res.json()) as unknown }
}

let proxy: ProviderProxy
let head: bigint
let delegators: Address[]
beforeAll(async () => {
  proxy = await startProviderProxy({ target: rpc, profile: providerProfile('strict') })
  head = BigInt(((await post(rpc, { jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] })).json as { result: string }).result)
  delegators = w.seeded.vaults.map((v) => v.delegator)
})
afterAll(async () => {
  await proxy?.close()
})

describe('providerProxy: each provider’s exact refusals', () => {
  const capTopic = () => ({ address: delegators, fromBlock: '0x0', toBlock: `0x${head.toString(16)}`, topics: [] as string[] })
  const getLogs = (id = 1) => ({ jsonrpc: '2.0', id, method: 'eth_getLogs', params: [capTopic()] })

  it('Infura: result cap with the suggested range, upper-case hex, code -32005', async () => {
    proxy.setProfile(providerProfile('infura', { maxLogsResults: 1 }))
    const { json } = await post(proxy.url, getLogs())
    const e = (json as { error: { code: number; message: string } }).error
    expect(e.code).toBe(-32005)
    expect(e.message).toMatch(/^query returned more than 1 results\. Try with this block range \[0x0, 0x[0-9A-F]+\]\.$/)
  })

  it('Alchemy: refused only when over both the span and the result cap; QuickNode: an HTTP error; publicnode: its span', async () => {
    proxy.setProfile(providerProfile('alchemy', { maxLogsRange: Number(head) + 1, maxLogsResults: 1 }))
    expect((await post(proxy.url, getLogs())).json).toHaveProperty('result')
    proxy.setProfile(providerProfile('alchemy', { maxLogsRange: 2, maxLogsResults: 1 }))
    expect(((await post(proxy.url, getLogs())).json as { error: { message: string } }).error.message).toMatch(/^Log response size exceeded\. .* this block range should work: \[0x0, 0x[0-9a-f]+\]$/)
    proxy.setProfile(providerProfile('quicknode', { maxLogsRange: 10 }))
    const q = await post(proxy.url, getLogs())
    expect(q.status).toBe(413)
    expect(q.json).toMatchObject({ error: 'eth_getLogs is limited to a 10 range' })
    proxy.setProfile(providerProfile('publicnode', { maxLogsRange: 10 }))
    expect((await post(proxy.url, getLogs())).json).toMatchObject({ error: { code: -32000, message: 'exceed maximum block range: 10' } })
    proxy.setProfile(providerProfile('llamarpc', { maxLogsResults: 1 }))
    expect(((await post(proxy.url, getLogs())).json as { error: { message: string } }).error.message).toMatch(/^query exceeds max results 1, retry with the range 0-\d+$/)
  })

  it('gas cap: an eth_call over the cap answers `out of gas (gas capped at: N)`, code -32000; under it, the node’s answer', async () => {
    const calls = w.seeded.operators.map((o) => ({
      target: w.core.operatorVaultOptInService,
      allowFailure: false,
      callData: encodeFunctionData({ abi: abis.optInServiceAbi, functionName: 'isOptedIn', args: [o.address, w.seeded.vaults[0]!.address] }),
    }))
    const data = encodeFunctionData({ abi: multicall3Aggregate3, functionName: 'aggregate3', args: [calls] })
    const body = { jsonrpc: '2.0', id: 1, method: 'eth_call', params: [{ to: MULTICALL3_ADDRESS, data }, 'latest'] }
    proxy.setProfile(providerProfile('infura', { gasCap: 30_000n }))
    expect((await post(proxy.url, body)).json).toMatchObject({ error: { code: -32000, message: 'out of gas (gas capped at: 30000)' } })
    proxy.setProfile(providerProfile('infura'))
    expect((await post(proxy.url, body)).json).toEqual((await post(rpc, body)).json)
  })

  it('batch size limit, HTTP 429 with Retry-After, a 429 per batch item inside HTTP 200, and counters', async () => {
    proxy.setProfile(providerProfile('strict', { maxBatch: 2, http429Every: 0, item429Every: 0 }))
    proxy.reset()
    const batch = [1, 2, 3].map((id) => ({ jsonrpc: '2.0', id, method: 'eth_chainId', params: [] }))
    expect((await post(proxy.url, batch)).json).toMatchObject({ error: { code: -32600, message: 'batch of 3 exceeds the limit of 2' } })
    proxy.setProfile(providerProfile('infura', { http429Every: 2, retryAfterSeconds: 3 }))
    expect((await post(proxy.url, batch)).status).toBe(200)
    const limited = await post(proxy.url, batch)
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBe('3')
    proxy.setProfile(providerProfile('infura', { item429Every: 2 }))
    const items = (await post(proxy.url, batch)).json as { id: number; result?: string; error?: { code: number; message: string; data: { backoff_seconds: number } } }[]
    expect(items.map((i) => i.error?.message ?? i.result)).toEqual([`0x${chainId.toString(16)}`, 'project ID request rate exceeded', `0x${chainId.toString(16)}`])
    expect(items[1]!.error).toMatchObject({ code: -32005, data: { backoff_seconds: 1 } })
    const s = proxy.stats()
    expect(s.httpRequests).toBe(4)
    expect(s.items).toBe(12)
    expect(s.refused).toEqual({ batch: 1, http429: 1, item429: 1 })
    expect(s.bytesIn).toBeGreaterThan(4 * 60)
    expect(s.bytesOut).toBeGreaterThan(0)
  })
})

describe('the readers through every provider profile', () => {
  let direct: Awaited<ReturnType<typeof readAll>>
  beforeAll(async () => {
    direct = await readAll({})
  })

  for (const name of Object.keys(PROVIDER_PROFILES) as ProviderName[]) {
    it(`${name}: the same universe as a direct connection, every refusal survived`, async () => {
      proxy.setProfile(localWorldProfile(name, { gasCap: 2_000_000n }))
      proxy.reset()
      const through = await readAll({ rpcUrl: proxy.url, rpc: { batchSize: proxy.profile.maxBatch ?? 50, maxCallGas: 2_000_000 } })
      expect(through).toEqual(direct)
      const s = proxy.stats()
      // The limits were really hit: the reads above survived refusals, not an idle proxy.
      expect((s.refused.logsRange ?? 0) + (s.refused.logsResults ?? 0)).toBeGreaterThan(0)
      expect(s.refused.http429 ?? 0).toBeGreaterThan(0)
      expect(s.refused.item429 ?? 0).toBeGreaterThan(0)
    })
  }

  it('a client whose batches exceed the provider’s batch limit is refused: the configured batch size is what keeps it working', async () => {
    proxy.setProfile(providerProfile('strict', { maxBatch: 3, http429Every: 0, item429Every: 0, maxLogsRange: undefined, maxLogsResults: undefined }))
    const refused = await readAll({ rpcUrl: proxy.url, rpc: { batchSize: 50 } }).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(causeText(refused)).toMatch(/batch of \d+ exceeds the limit of 3/)
    expect(await readAll({ rpcUrl: proxy.url, rpc: { batchSize: 3 } })).toEqual(direct)
  })

  it('createLogFetcher returns the logs of one unlimited eth_getLogs through the strict profile', async () => {
    proxy.setProfile(providerProfile('strict', { ...LOCAL_WORLD_LIMITS.strict, http429Every: 5, item429Every: 3, retryAfterSeconds: 0 }))
    const topic = toEventSelector(getAbiItem({ abi: abis.networkRestakeDelegatorAbi, name: 'SetMaxNetworkLimit' }))
    const req = { address: delegators, topics: [topic], fromBlock: 0n, toBlock: head }
    const all = await createLogFetcher(createReader({ rpcUrl: rpc, chainId }), { fixedRange: 1e9 })(req)
    expect(all.length).toBeGreaterThan(2)
    expect(await createLogFetcher(createReader({ rpcUrl: proxy.url, chainId }))(req)).toEqual(all)
  })
})

describe('several RPC URLs and the chain id', () => {
  let second: ProviderProxy
  let otherChain: AnvilNode
  let otherProxy: ProviderProxy
  let direct: Awaited<ReturnType<typeof readAll>>
  beforeAll(async () => {
    second = await startProviderProxy({ target: rpc, profile: providerProfile('publicnode') })
    otherChain = await startAnvil({ chainId: 1 })
    otherProxy = await startProviderProxy({ target: otherChain.rpcUrl, profile: providerProfile('publicnode') })
    direct = await readAll({})
  })
  afterAll(async () => {
    await second?.close()
    await otherProxy?.close()
    await otherChain?.stop()
  })

  it('fails over to the second URL when the first answers every request 429 with a long Retry-After', async () => {
    proxy.setProfile(providerProfile('infura', { http429Every: 1, retryAfterSeconds: 3600 }))
    proxy.reset()
    second.reset()
    expect(await readAll({ rpcUrl: proxy.url, rpcUrls: [second.url] })).toEqual(direct)
    // One 429 and the first URL rests for its Retry-After (capped at 60 s): later requests go straight to the second.
    expect(proxy.stats()).toMatchObject({ httpRequests: 1, refused: { http429: 1 } })
    expect(second.stats().httpRequests).toBeGreaterThan(2)
  })

  it('fails over to the second URL when the first is down', async () => {
    const down = await startProviderProxy({ target: rpc, profile: providerProfile('publicnode') })
    const url = down.url
    await down.close()
    second.reset()
    expect(await readAll({ rpcUrl: url, rpcUrls: [second.url] })).toEqual(direct)
    expect(second.stats().httpRequests).toBeGreaterThan(2)
  })

  it('refuses a node on another chain before reading anything, naming the URL and both chain ids — even with a good URL after it', async () => {
    otherProxy.reset()
    const read = readAll({ rpcUrl: otherProxy.url, rpcUrls: [rpc] })
    await expect(read).rejects.toThrow(new RegExp(`RPC http://127\\.0\\.0\\.1:\\d+ answered chain id 1, not the configured ${chainId}`))
    await expect(read).rejects.toSatisfy((e: Error) => JSON.stringify(e, Object.getOwnPropertyNames(e)).includes('WrongChainIdError') || (e.cause as Error)?.name === 'WrongChainIdError')
    expect(Object.keys(otherProxy.stats().byMethod)).toEqual(['eth_chainId'])
  })
})

describe('multicall split by gas', () => {
  it('a multicall over the node’s gas cap is refused as one eth_call and succeeds split, equal to the direct answer', async () => {
    const vaults = w.seeded.vaults.map((v) => v.address)
    const ops = w.seeded.operators.map((o) => o.address)
    // Many distinct-argument reads: opt-ins of every operator × vault, repeated with shifted operators.
    const contracts = Array.from({ length: 1500 }, (_, i) => ({
      address: w.core.operatorVaultOptInService,
      abi: abis.optInServiceAbi,
      functionName: 'isOptedIn' as const,
      args: [ops[i % ops.length]!, vaults[i % vaults.length]!] as const,
    }))
    const directClient = createReader({ rpcUrl: rpc, chainId })
    const expected = await viemMulticall(directClient, { contracts, allowFailure: false, batchSize: 0 })
    const data = encodeFunctionData({ abi: multicall3Aggregate3, functionName: 'aggregate3', args: [contracts.map((c) => ({ target: c.address, allowFailure: true, callData: encodeFunctionData(c) }))] })
    const gas = BigInt(((await post(rpc, { jsonrpc: '2.0', id: 1, method: 'eth_estimateGas', params: [{ to: MULTICALL3_ADDRESS, data }] })).json as { result: string }).result)
    const cap = gas / 3n
    proxy.setProfile(providerProfile('publicnode', { gasCap: cap }))
    proxy.reset()
    const capped = createReader({ rpcUrl: proxy.url, chainId, rpc: { maxCallGas: cap } })
    await expect(viemMulticall(capped, { contracts, allowFailure: false, batchSize: 0 })).rejects.toThrow(`out of gas (gas capped at: ${cap})`)
    expect(await multicallWithinGas(capped, { contracts, allowFailure: false, batchSize: 0 }, { maxCallGas: cap })).toEqual(expected)
    // An estimate far too low: every refused chunk is halved until it fits.
    proxy.reset()
    expect(await multicallWithinGas(capped, { contracts, allowFailure: true, batchSize: 0 }, { maxCallGas: cap, gasPerCall: 1n })).toEqual(expected.map((result) => ({ result, status: 'success' })))
    expect(proxy.stats().refused.gasCap).toBeGreaterThan(0)
    // The reader client splits its multicalls the same way, with no call-site change.
    expect(await capped.multicall({ contracts, allowFailure: false, batchSize: 0 })).toEqual(expected)
  })
})

const multicall3Aggregate3 = [
  {
    type: 'function',
    name: 'aggregate3',
    stateMutability: 'payable',
    inputs: [
      {
        name: 'calls',
        type: 'tuple[]',
        components: [
          { name: 'target', type: 'address' },
          { name: 'allowFailure', type: 'bool' },
          { name: 'callData', type: 'bytes' },
        ],
      },
    ],
    outputs: [
      {
        name: 'returnData',
        type: 'tuple[]',
        components: [
          { name: 'success', type: 'bool' },
          { name: 'returnData', type: 'bytes' },
        ],
      },
    ],
  },
] as const

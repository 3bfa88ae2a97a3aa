/** The console CLI without a chain or a store: help texts, usage errors (exit 2), bad input (exit 1), argument parsing, run explanations. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CliUsageError, EXIT, parseArgs, textTable, toJson } from '../../local/cli/common.js'
import { explainRecord } from '../../local/cli/explain.js'
import { runCli } from '../setup/cli.js'
import { summarizeRun } from '../../local/cli/runs.js'
import { relabeler } from '../../local/dashboard/view.js'
import { ScenarioSchema } from '../../local/world/scenario.js'
import { actor, subnetworkId } from '../../local/world/seed.js'
import { loadPolicyOrThrow } from '../../shared/domain/index.js'
import type { RunRecord } from '../../shared/store/runs.js'

const run = runCli

let dir: string
const path = (name: string) => join(dir, name)
const POLICY = 'local/scenarios/default.policy.json'
const CASCADE = 'local/scenarios/slashing-cascade.json'

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ra-cli-'))
  await writeFile(path('not-json.json'), '{ nope')
  await writeFile(path('bad-policy.json'), JSON.stringify({ version: 2, caps: { perOperator: 3 } }))
  const cascade = JSON.parse(await (await import('node:fs/promises')).readFile(CASCADE, 'utf8')) as Record<string, unknown>
  const { timeline: _t, ...noTimeline } = cascade
  await writeFile(path('no-timeline.json'), JSON.stringify(noTimeline))
  const timeline = cascade.timeline as { events: Record<string, unknown>[] }
  await writeFile(
    path('bad-timeline.json'),
    JSON.stringify({ ...cascade, timeline: { ...timeline, events: [...timeline.events, { day: 3, kind: 'slash', network: 'moon-net', operator: 'op-atlas', fraction: 0.1 }, { day: 99, kind: 'operator-leaves', operator: 'op-ghost' }] } }),
  )
  await writeFile(
    path('config.json'),
    JSON.stringify({ chainId: 31337, rpcUrl: 'http://127.0.0.1:1', symbiotic: { operatorVaultOptInService: `0x${'1'.repeat(40)}`, operatorNetworkOptInService: `0x${'2'.repeat(40)}` }, vaults: [{ address: `0x${'3'.repeat(40)}` }] }),
  )
  await writeFile(path('bad-config.json'), JSON.stringify({ chainId: 31337, vaults: [] }))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('help text for every command (exit 0)', () => {
  it.each([
    [['help'], 'autopilot plan'],
    [['--help'], 'autopilot backtest'],
    [['plan', '--help'], 'usage: autopilot plan'],
    [['runs', '--help'], 'usage: autopilot runs'],
    [['explain', '--help'], 'usage: autopilot explain RUN'],
    [['backtest', '-h'], 'usage: autopilot backtest'],
  ])('%j', async (args, text) => {
    const r = await run(...args)
    expect(r.code).toBe(EXIT.ok)
    expect(r.out).toContain(text)
    expect(r.out).toContain('Exit codes')
  })

  it('the store flags are documented where they are used', async () => {
    for (const cmd of ['runs', 'explain']) {
      const r = await run(cmd, '--help')
      expect(r.out).toContain('--dynamo-endpoint URL --tables-prefix P')
      expect(r.out).toContain('AUTOPILOT_CONFIG')
    }
  })

  it('no command at all prints the help and exits 2', async () => {
    const r = await run()
    expect(r.code).toBe(EXIT.usage)
    expect(r.out).toContain('Usage:')
  })
})

describe('usage errors exit 2 and print the command help', () => {
  it.each([
    [['frobnicate'], 'unknown command "frobnicate"'],
    [['plan'], 'missing --policy'],
    [['plan', '--policy', POLICY], 'missing --config'],
    [['plan', '--policy'], '--policy needs a value'],
    [['plan', '--policy', POLICY, '--config', 'x.json', '--colour'], 'unknown option --colour'],
    [['plan', '--policy', POLICY, '--config', 'x.json', '--dry-run=yes'], '--dry-run takes no value'],
    [['plan', '--policy', POLICY, '--config', 'local/no-such-config.json'], 'cannot read config local/no-such-config.json: ENOENT'],
    [['runs', '--kind', 'everything', '--tables-prefix', 'p'], '--kind must be rebalance, score, watch or all'],
    [['runs', '--limit', '0', '--tables-prefix', 'p'], '--limit must be an integer from 1 to 500'],
    [['runs'], 'no store given'],
    [['explain'], 'missing argument'],
    [['explain', 'a', 'b', '--tables-prefix', 'p'], 'unexpected argument "b"'],
    [['backtest', '--policy', POLICY], 'missing --scenario'],
    [['backtest', '--scenario', CASCADE, '--policy', POLICY, '--baseline', 'random'], '--baseline must be even or hold'],
    [['backtest', '--scenario', CASCADE, '--policy', POLICY, '--days', '-3'], '--days must be a positive integer, not "-3"'],
    [['backtest', '--scenario', CASCADE, '--policy', POLICY, '--days', '1.5'], '--days must be a positive integer'],
    [['backtest', '--scenario', 'nowhere.json', '--policy', POLICY], 'cannot read scenario nowhere.json: ENOENT'],
  ])('%j', async (args, message) => {
    const r = await run(...args)
    expect(r.code).toBe(EXIT.usage)
    expect(r.err).toContain(message)
    expect(r.err).toMatch(/usage|Usage/)
  })
})

describe('bad input exits 1 and names the problem', () => {
  it('plan: a policy that is not valid JSON', async () => {
    const r = await run('plan', '--policy', path('not-json.json'), '--config', path('config.json'))
    expect(r.code).toBe(EXIT.failed)
    expect(r.err).toContain('InvalidInputError: Invalid policy')
    expect(r.err).toContain('not valid JSON')
  })

  it('plan: an invalid policy, with every path', async () => {
    const r = await run('plan', '--policy', path('bad-policy.json'), '--config', path('config.json'))
    expect(r.code).toBe(EXIT.failed)
    expect(r.err).toContain('$.version')
    expect(r.err).toContain('$.caps.perOperator')
  })

  it('plan: an invalid config', async () => {
    const r = await run('plan', '--policy', POLICY, '--config', path('bad-config.json'), '--rpc', 'http://127.0.0.1:1')
    expect(r.code).toBe(EXIT.failed)
    expect(r.err).toContain('Invalid config')
    expect(r.err).toContain('$.symbiotic')
  })

  it('plan: an RPC that does not answer', async () => {
    const r = await run('plan', '--policy', POLICY, '--config', path('config.json'))
    expect(r.code).toBe(EXIT.failed)
    expect(r.err).toContain('no answer to eth_chainId')
    expect(r.err).toContain('http://127.0.0.1:1')
  })

  it('backtest: a scenario without a timeline', async () => {
    const r = await run('backtest', '--scenario', path('no-timeline.json'), '--policy', POLICY)
    expect(r.code).toBe(EXIT.failed)
    expect(r.err).toContain('no "timeline" section')
  })

  it('backtest: a timeline naming an unknown network, an operator that never joined, a day after the end', async () => {
    const r = await run('backtest', '--scenario', path('bad-timeline.json'), '--policy', POLICY)
    expect(r.code).toBe(EXIT.failed)
    expect(r.err).toContain('$.timeline.events.8.network: unknown network "moon-net"')
    expect(r.err).toContain('$.timeline.events.9.operator: unknown operator "op-ghost"')
    expect(r.err).toContain('$.timeline.events.9.day: day 99 is after the end of the timeline (28)')
  })

  it('backtest: an invalid policy', async () => {
    const r = await run('backtest', '--scenario', CASCADE, '--policy', path('bad-policy.json'))
    expect(r.code).toBe(EXIT.failed)
    expect(r.err).toContain('Invalid policy')
  })
})

describe('scenario timeline', () => {
  it('the insecure-service policy gives π to the subnetworks its scenario seeds, and only yield-net is insecure at its largest stake', async () => {
    const { readFile } = await import('node:fs/promises')
    const s = ScenarioSchema.parse(JSON.parse(await readFile('local/scenarios/insecure-service.json', 'utf8')))
    const policy = loadPolicyOrThrow(JSON.parse(await readFile('local/scenarios/insecure-service.policy.json', 'utf8')))
    const seeded = new Map<string, (typeof s.networks)[number]>(s.networks.map((n) => [subnetworkId(actor(`network/${n.label}`).address, 0), n]))
    const meta = policy.scoring.serviceMetadata
    expect(meta.map((m) => seeded.get(m.service)?.label)).toEqual(meta.map((m) => m.label))
    // ρ = α·σ/π with σ at most the network's max limit: < 1 for yield-net whatever the vault does, ≥ 1 for steady-net at that limit.
    const rho = (label: string) => {
      const m = meta.find((x) => x.label === label)!
      return ((1 / 3) * Number(seeded.get(m.service)!.subnetworks[0]!.maxNetworkLimit)) / m.profitFromCorruption!
    }
    expect(rho('yield-net')).toBeLessThan(1)
    expect(rho('steady-net')).toBeGreaterThan(1)
  })

  it('both shipped backtest scenarios parse; the default scenario has no timeline and keeps its defaults', async () => {
    const { readFile } = await import('node:fs/promises')
    for (const name of ['calm-market', 'slashing-cascade', 'insecure-service']) {
      const s = ScenarioSchema.parse(JSON.parse(await readFile(`local/scenarios/${name}.json`, 'utf8')))
      expect(s.timeline?.events.length).toBeGreaterThan(0)
      expect(s.vaults).toHaveLength(1)
    }
    const d = ScenarioSchema.parse(JSON.parse(await readFile('local/scenarios/default.json', 'utf8')))
    expect(d.timeline).toBeUndefined()
    expect(d.history.slashes).toHaveLength(4)
  })

  it('applies defaults to a minimal timeline', () => {
    const base = {
      name: 'x',
      description: 'x',
      token: { name: 'T', symbol: 'T' },
      networks: [{ label: 'n', subnetworks: [{ identifier: 0, maxNetworkLimit: '1', rewardRatePerYear: 0.01 }] }],
      operators: [{ label: 'o', networks: ['n'] }],
      vaults: [{ deposits: ['1'], label: 'v' }],
      history: { days: 1 },
    }
    const s = ScenarioSchema.parse({
      ...base,
      timeline: {
        days: 3,
        events: [
          { day: 1, kind: 'operator-joins', operator: 'newbie', networks: ['n'] },
          { day: 2, kind: 'slash', network: 'n', operator: 'newbie', fraction: 0.5 },
        ],
      },
    })
    expect(s.timeline).toMatchObject({ days: 3, rewardIntervalDays: 7, rebalanceEveryDays: 7, rewardLookbackDays: 28 })
    expect(s.timeline!.events[1]).toMatchObject({ identifier: 0 })
    // An operator that joins later may act only after it joined.
    const early = ScenarioSchema.safeParse({
      ...base,
      timeline: {
        days: 3,
        events: [
          { day: 1, kind: 'slash', network: 'n', operator: 'newbie', fraction: 0.5 },
          { day: 2, kind: 'operator-joins', operator: 'newbie', networks: ['n'] },
        ],
      },
    })
    expect(early.success).toBe(false)
    // An unknown subnetwork identifier is named.
    const sub = ScenarioSchema.safeParse({ ...base, timeline: { days: 3, events: [{ day: 1, kind: 'reward-rate', network: 'n', identifier: 4, rewardRatePerYear: 0.02 }] } })
    expect(sub.success).toBe(false)
    expect(sub.error?.issues[0]?.message).toBe('network "n" has no subnetwork 4')
  })
})

describe('parseArgs', () => {
  const spec = { policy: 'string', json: 'boolean' } as const
  it('reads values, switches, = forms and positionals', () => {
    expect(parseArgs(['RUN', '--policy', 'p.json', '--json'], spec, { min: 1, max: 1 })).toEqual({ flags: { policy: 'p.json', json: true }, positionals: ['RUN'], help: false })
    expect(parseArgs(['--policy=a=b.json'], spec).flags.policy).toBe('a=b.json')
    expect(parseArgs(['--help'], spec, { min: 1, max: 1 }).help).toBe(true)
  })
  it.each([
    [['--nope'], 'unknown option --nope'],
    [['--policy'], '--policy needs a value'],
    [['--policy', '--json'], '--policy needs a value'],
    [['--json=1'], '--json takes no value'],
    [['extra'], 'unexpected argument "extra"'],
  ])('%j → CliUsageError', (args, message) => {
    expect(() => parseArgs(args, spec)).toThrowError(CliUsageError)
    expect(() => parseArgs(args, spec)).toThrowError(message)
  })
})

describe('output helpers', () => {
  it('toJson writes bigint as decimal strings', () => {
    expect(toJson({ a: 10n ** 30n, b: [1n] })).toBe('{\n  "a": "1000000000000000000000000000000",\n  "b": [\n    "1"\n  ]\n}\n')
  })
  it('textTable aligns numbers right and named columns left', () => {
    expect(
      textTable(
        ['name', 'n', 'what'],
        [
          ['a', '1', 'x'],
          ['bb', '22', 'yy'],
        ],
        [2],
      ),
    ).toBe('name   n  what\n────  ──  ────\na      1  x\nbb    22  yy')
  })
  it('relabeler swaps the short ids the domain writes for labels, unless ambiguous', () => {
    const op = `0xabcd${'0'.repeat(32)}1234`
    const twinA = `0x9999${'1'.repeat(32)}8888`
    const twinB = `0x9999${'2'.repeat(32)}8888`
    const relabel = relabeler({ [op]: 'op-one', [twinA]: 'a', [twinB]: 'b' })
    expect(relabel('operator 0xabcd…1234: cap binding; 0x9999…8888 stays')).toBe('operator op-one: cap binding; 0x9999…8888 stays')
  })
})

describe('explainRecord and summarizeRun (pure)', () => {
  const base: RunRecord = { runId: 'rebalance-x', kind: 'rebalance', trigger: 'schedule', startedAt: Date.UTC(2026, 0, 1), finishedAt: Date.UTC(2026, 0, 1, 0, 0, 2), status: 'skipped' }
  it('a skipped run says why', () => {
    const r = { ...base, decision: { kind: 'skip', reason: 'cooldown', detail: 'last rebalance 10 s ago' } }
    expect(summarizeRun(r)).toBe('skip (cooldown): last rebalance 10 s ago')
    expect(explainRecord(r)).toContain('rebalance, skipped in 2.0 s; started 2026-01-01T00:00:00.000Z by schedule')
  })
  it('a failed run shows its error, and its recorded calls with tx hashes', () => {
    const r: RunRecord = {
      ...base,
      status: 'failed',
      error: { name: 'MissingRoleError', message: 'the signer lacks OPERATOR_NETWORK_SHARES_SET_ROLE' },
      actions: [{ index: 0, kind: 'setNetworkLimit', description: 'setNetworkLimit(n/0): 1 → 2', reasons: ['r'], status: 'mined', txHash: `0x${'a'.repeat(64)}`, blockNumber: 7n, gasUsed: 21000n }],
    }
    const text = explainRecord(r)
    expect(summarizeRun(r)).toBe('MissingRoleError: the signer lacks OPERATOR_NETWORK_SHARES_SET_ROLE')
    expect(text).toContain('Error: MissingRoleError')
    expect(text).toContain(`0x${'a'.repeat(64)}`)
    expect(text).toContain('21000')
  })
  it('an EigenLayer rebalance is summarised by its moves, and explained from what was recorded', () => {
    const r: RunRecord = {
      ...base,
      decision: { kind: 'act', actions: [], gainPerYear: 5e18, gasCostWei: 0n, netGainBpsPerYear: 1, derisk: false, eigenlayer: { moves: [{ status: 'held', note: 'cooldown: wait 2 h' }, { status: 'held' }], exits: [], resumed: [] } },
      plan: { solver: 'el' },
    }
    expect(summarizeRun(r)).toBe('EigenLayer: 2 move(s) (2 held) — cooldown: wait 2 h')
    const text = explainRecord(r)
    expect(text).toContain('Decision (as recorded)')
    expect(text).toContain('"gasCostWei": "0"')
  })

  it('a watch run lists its events and its de-risk run', () => {
    const r: RunRecord = {
      ...base,
      kind: 'watch',
      status: 'succeeded',
      decision: { events: [{ kind: 'Slash', block: '9', operator: '0xop', subnetwork: '0xsn', amount: '5', held: true, outcome: 'derisked', tx: '0xt' }], derisk: { runId: 'rebalance-y', status: 'succeeded', txHashes: ['0x1', '0x2'] } },
    }
    expect(summarizeRun(r)).toBe('1 event(s) (Slash); de-risk succeeded, 2 tx')
    const text = explainRecord(r)
    expect(text).toContain('derisked')
    expect(text).toContain('autopilot explain rebalance-y')
  })
})

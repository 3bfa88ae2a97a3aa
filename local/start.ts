/**
 * `npm start`: brings the local world up (Anvil, real Symbiotic core, scenario, our EigenLayer harness and its
 * scenario, DynamoDB Local), then runs the real Lambda handlers (score, rebalance, eigenlayer) on a schedule in this process and
 * prints what they read, decided and sent — the Symbiotic vault and, beside it, the EigenLayer positions (per
 * operator: staker, withdrawable and in-flight stake, open move sagas with their step). Ctrl-C stops every process
 * it started. Anvil mines a block every MINE_EVERY seconds (like a live chain) so EigenLayer withdrawal delays pass.
 *   SCENARIO=local/scenarios/default.json POLICY=local/scenarios/default.policy.json SCORE_EVERY=15 REBALANCE_EVERY=30 MINE_EVERY=0.5
 */
import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { startWebhookServer, type WebhookServer } from './webhookServer.js'
import { userInfo } from 'node:os'
import { LOCAL_JOBS_TOPIC_ARN, localJobsDispatcher } from './jobsTopic.js'
import { asWebhookContext } from '../shared/services/webhookJob.js'
import { startWorld, type World } from './world/index.js'
import type { Config } from '../shared/config/config.js'
import { encodeJson } from '../shared/store/client.js'
import { labeler } from '../shared/label.js'
import type { RunRebalanceResult } from '../shared/services/runRebalance.js'
import type { RunEigenLayerRebalanceResult } from '../shared/protocols/eigenlayer/rebalance.js'
import type { RunScoreResult } from '../shared/services/runScore.js'
import type { WatchEventsResult } from '../shared/services/watchEvents.js'
import { table, tokens } from './format.js'
import { relabeler } from './dashboard/view.js'

const env = process.env
const scenarioPath = resolve(env.SCENARIO ?? 'local/scenarios/default.json')
const policyPath = resolve(env.POLICY ?? 'local/scenarios/default.policy.json')
const scoreEvery = Number(env.SCORE_EVERY ?? 15) * 1000
const rebalanceEvery = Number(env.REBALANCE_EVERY ?? 30) * 1000
const watchEvery = Number(env.WATCH_EVERY ?? 5) * 1000
const mineEvery = Number(env.MINE_EVERY ?? 0.5) * 1000

const t0 = Date.now()
const say = (msg: string) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${msg}`)

let world: World | undefined
let webhookServer: WebhookServer | undefined
let dashboard: { url: string; stop: () => Promise<void> } | undefined
const timers: NodeJS.Timeout[] = []
let stopping = false

async function shutdown(code: number): Promise<void> {
  if (stopping) return
  stopping = true
  timers.forEach(clearInterval)
  say('stopping the webhook server, Anvil and DynamoDB Local…')
  await dashboard?.stop().catch(() => undefined)
  await webhookServer?.stop()
  await world?.stop()
  say('stopped. Bye.')
  process.exit(code)
}
process.on('SIGINT', () => void shutdown(0))
process.on('SIGTERM', () => void shutdown(0))

/**
 * Pushes the protocol config and the policy file to the local policy store, as a curator does after a deploy (a push
 * equal to the current version writes nothing); returns the current policy version.
 */
async function pushLocalSettings(w: World, protocol: Record<string, unknown>, path: string): Promise<number> {
  const { composeStores } = await import('../shared/services/compose.js')
  const { loadPolicyOrThrow } = await import('../shared/domain/policy.js')
  const { documentClientFor } = await import('../shared/services/bootstrap.js')
  const doc = JSON.parse(readFileSync(path, 'utf8')) as unknown
  loadPolicyOrThrow(doc)
  const client = documentClientFor(w.config.dynamoEndpoint, env)
  try {
    const store = composeStores({ dynamo: client, tables: { policies: w.config.tables.policies } }).policies
    await store.push({ kind: 'config', document: protocol, author: 'npm start', now: Date.now(), note: 'local world' })
    return (await store.push({ kind: 'policy', document: doc, author: 'npm start', now: Date.now(), note: path })).version.version
  } finally {
    client.destroy()
  }
}

async function main(): Promise<void> {
  world = await startWorld({ scenarioPath, onStep: say })
  const w = world
  const label = labeler(w.config.labels)
  const stakerSafes = stakerSafesOf(w.config)
  say(`world ready: vault ${label(w.seeded.vaults[0]!.address)} ${w.seeded.vaults[0]!.address}, curator ${w.seeded.curator.address}`)

  // The handlers read their configuration exactly as in Lambda: AUTOPILOT_CONFIG holds the deployment's part (chain,
  // RPC, tables), the protocol config and the policy are read from the policy store every run — POLICY is pushed as
  // its first version, so `autopilot policy push` (or `config push`) changes the next run.
  const fullConfig = encodeJson({ ...w.config, fromBlock: w.config.fromBlock.toString() })
  const { rpcUrl, chainId, tables, dynamoEndpoint, ...protocol } = JSON.parse(fullConfig) as Config
  env.AUTOPILOT_CONFIG = encodeJson({ chainId, rpcUrl, dynamoEndpoint, tables })
  const pushed = await pushLocalSettings(w, protocol, policyPath)
  say(`policy ${policyPath} is version ${pushed} in ${tables.policies}; change it with: npm run autopilot -- policy push FILE --config .local/autopilot.config.json`)
  env.SIGNER_PRIVATE_KEY = w.curatorKey
  // Our EigenLayer stakers' throwaway keys (Anvil only; in production the stakers are LRT staker contracts).
  env.EIGENLAYER_STAKER_KEYS ??= JSON.stringify(w.eigenlayerStakerKeys)
  env.LOG_LEVEL = env.LOG_LEVEL ?? 'WARN'
  // A fresh webhook secret per run unless WEBHOOK_SECRET is set (printed below, never written to a file). Webhook jobs go to the rebalance handler as the
  // SNS deliveries of AWS's jobs topic would (local/jobsTopic.ts), and the answer carries their outcome.
  env.WEBHOOK_SECRET ??= randomBytes(24).toString('hex')
  env.JOBS_TOPIC_ARN = LOCAL_JOBS_TOPIC_ARN
  // Anvil mines only when a transaction arrives: with depth 0 a slash is seen on the next watch tick.
  env.WATCH_CONFIRMATIONS ??= '0'
  const score = (await import('../functions/score/handler.js')).handler
  const rebalance = (await import('../functions/rebalance/handler.js')).handler
  const watch = (await import('../functions/watch/handler.js')).handler
  // EigenLayer positions have their own function (deployed only when configured), run here on the rebalance timer.
  const eigenlayer = w.config.eigenlayer ? (await import('../functions/eigenlayer/handler.js')).handler : undefined
  // EigenLayer slashes: the same function's watcher tick (its own cursor), on the watch timer (docs/eigenlayer.md,
  // "Triggers"): an OperatorSlashed on an operator our stakers delegate to starts their exits at once.
  const watchEigenLayer = eigenlayer ? async () => (await eigenlayer({ task: 'watch', trigger: 'local-schedule' })) as WatchEventsResult : undefined
  // Webhook and console jobs reach the rebalance handler, and their de-risks the eigenlayer one too, as the jobs topic delivers them.
  const jobs = localJobsDispatcher(rebalance, LOCAL_JOBS_TOPIC_ARN, eigenlayer ? [eigenlayer] : [])
  const webhook = (await import('../functions/webhook/handler.js')).createWebhookHandler(jobs)
  webhookServer = await startWebhookServer({ handler: webhook, port: Number(env.WEBHOOK_PORT ?? 0), secret: env.WEBHOOK_SECRET })
  const op = w.seeded.operators[0]!
  say(
    `webhook listening on ${webhookServer.url}, secret WEBHOOK_SECRET=${env.WEBHOOK_SECRET} (this run only; sign your own requests with it, docs/environment.md) — try (signed, valid 5 minutes):\n` +
      `  rebalance:        ${webhookServer.curlExample}\n` +
      `  pause:            ${webhookServer.curl({ id: `manual-pause-${Date.now()}`, action: 'pause', reason: 'trying the webhook' })}\n` +
      `  resume:           ${webhookServer.curl({ id: `manual-resume-${Date.now()}`, action: 'resume' })}\n` +
      `  derisk-operator:  ${webhookServer.curl({ id: `manual-derisk-${Date.now()}`, action: 'derisk-operator', operator: op.address, reason: `trying a de-risk of ${op.label}` })}`,
  )
  // The console: live chain read + recorded runs, what-if, drill-downs and controls. The CLI can use the same world through the config file.
  const { startDashboard, createLiveReader, createYieldReader } = await import('./dashboard/index.js')
  const { handlerRuntime } = await import('../shared/services/runtime.js')
  const dctx = await handlerRuntime(env, 'dashboard').context()
  // Pause / resume / de-risk from the page go through the webhook's own path (claim, pause flag, notification); de-risk
  // jobs run on the rebalance handler as the webhook's do.
  const controls = { who: `local:${userInfo().username}`, dispatch: jobs, ctx: asWebhookContext(dctx) }
  dashboard = await startDashboard({ runs: dctx.runs, readLive: createLiveReader(dctx), readYield: createYieldReader(dctx), port: Number(env.DASHBOARD_PORT ?? 8787), controls })
  mkdirSync('.local', { recursive: true })
  writeFileSync('.local/autopilot.config.json', fullConfig)
  say(`dashboard: ${dashboard.url}  ·  CLI: npm run autopilot -- runs --config .local/autopilot.config.json`)

  // Ticks run one at a time, in order; a kind already waiting is not queued twice. (Dropping a tick while another
  // runs lost every scheduled rebalance: the 30 s rebalance timer always fires with the 15 s score timer.)
  const queued = new Set<string>()
  let last: Promise<void> = Promise.resolve()
  const tick = (kind: 'score' | 'rebalance' | 'watch'): Promise<void> => {
    if (stopping || queued.has(kind)) return last
    queued.add(kind)
    last = last.then(async () => {
      queued.delete(kind)
      if (stopping) return
      try {
        if (kind === 'score') printScore((await score({ trigger: 'local-schedule' })) as RunScoreResult)
        else if (kind === 'watch') {
          printWatch((await watch({ trigger: 'local-schedule' })) as WatchEventsResult, label)
          if (watchEigenLayer) printWatch(await watchEigenLayer(), label)
        } else {
          printRebalance((await rebalance({ trigger: 'local-schedule' })) as RunRebalanceResult, label)
          if (eigenlayer) printEigenLayer((await eigenlayer({ trigger: 'local-schedule' })) as RunEigenLayerRebalanceResult, label, stakerSafes)
        }
      } catch (e) {
        say(`${kind} threw: ${(e as Error).message}`)
      }
    })
    return last
  }
  await tick('score')
  await tick('rebalance')
  timers.push(
    setInterval(() => void tick('score'), scoreEvery),
    setInterval(() => void tick('rebalance'), rebalanceEvery),
    setInterval(() => void tick('watch'), watchEvery),
  )
  // A block every MINE_EVERY s, like a live chain: EigenLayer withdrawal delays are counted in blocks.
  if (mineEvery > 0) timers.push(setInterval(() => void w.chain.test.mine({ blocks: 1 }).catch(() => undefined), mineEvery))
  say(`schedules: score every ${scoreEvery / 1000}s, rebalance every ${rebalanceEvery / 1000}s, slash watch every ${watchEvery / 1000}s${mineEvery > 0 ? `, a block every ${mineEvery / 1000}s` : ''}. Ctrl-C to stop.`)
}

function printWatch(r: WatchEventsResult, label: (k: string) => string): void {
  for (const e of r.events.filter((x) => x.relevant)) {
    say(`watch: ${e.kind}${e.operator ? ` of ${label(e.operator)}` : ''}${e.subnetwork ? ` in ${label(e.subnetwork)}` : ''}${e.amount !== undefined ? ` (${tokens(e.amount)})` : ''} at block ${e.blockNumber}, tx ${e.txHash}`)
  }
  if (r.derisk) say(`watch: de-risk run ${r.derisk.status} (run ${r.derisk.runId})${r.derisk.txHashes.length ? `, txs ${r.derisk.txHashes.join(', ')}` : ''}${r.derisk.error ? ` — ${r.derisk.error.message}` : ''}`)
}

function printScore(r: RunScoreResult): void {
  say(`score ${r.status} at block ${r.blockNumber ?? '?'} (run ${r.runId})${r.error ? `: ${r.error.message}` : ''}`)
}

function printRebalance(r: RunRebalanceResult, label: (k: string) => string): void {
  const relabel = relabeler(world?.config.labels ?? {})
  const d = r.decision
  say(`rebalance ${r.status}${d?.kind === 'skip' ? ` — ${d.reason}: ${d.detail}` : ''}${r.error ? ` — ${r.error.name}: ${r.error.message}` : ''} (run ${r.runId})`)
  if (r.actions.length === 0) return
  const rows = r.allocations.filter((a) => a.before !== 0n || a.target !== 0n).map((a) => [label(a.service), label(a.operator), tokens(a.before), tokens(a.target), a.after === undefined ? '—' : tokens(a.after)])
  console.log(table(['service', 'operator', 'before', 'target', 'after'], rows))
  for (const a of r.actions) {
    console.log(`  #${a.index} ${a.description}${a.txHash ? `  tx ${a.txHash}` : ''}`)
    for (const reason of a.reasons.slice(0, 3)) console.log(`       why: ${relabel(reason)}`)
  }
  if (r.verified !== undefined) say(r.verified ? 'verified: on-chain stake equals the plan exactly' : 'WARNING: on-chain stake differs from the plan')
}

/** Staker Safes of the config (address → its Roles modifier): the live view says which account each staker is. */
function stakerSafesOf(config: Config): Map<string, string> {
  return new Map((config.eigenlayer?.positions ?? []).flatMap((p) => p.stakers.flatMap((s) => (s.roles ? [[s.address, s.roles.rolesModifier] as const] : []))))
}

function printEigenLayer(r: RunEigenLayerRebalanceResult, label: (k: string) => string, safes: Map<string, string>): void {
  const d = r.decision
  const started = r.moves.filter((m) => m.status === 'started').length
  const completed = r.resumed.filter((x) => x.status === 'completed').length
  say(
    `eigenlayer ${r.status}${d?.kind === 'skip' ? ` — ${d.reason}: ${d.detail}` : ''}${started ? ` — ${started} move${started === 1 ? '' : 's'} started` : ''}${completed ? ` — ${completed} move${completed === 1 ? '' : 's'} completed` : ''}${r.error ? ` — ${r.error.name}: ${r.error.message}` : ''} (run ${r.runId})`,
  )
  for (const p of r.positions) {
    console.log(`  ${p.label}: active ${tokens(p.activeStake)} = available ${tokens(p.availableStake)} + in flight ${tokens(p.inFlightStake)} (earning nothing), block ${p.blockNumber}`)
    const rows = [...p.stakers]
      .sort((a, b) => Number(a.operator === null) - Number(b.operator === null) || (a.operator ? label(a.operator) : '').localeCompare(b.operator ? label(b.operator) : '') || a.label.localeCompare(b.label))
      .map((s) => {
        const roles = safes.get(s.staker.toLowerCase())
        const account = roles ? `Safe ${s.staker.slice(0, 8)}… via Roles ${roles.slice(0, 8)}…` : `EOA ${s.staker.slice(0, 8)}…`
        return [s.operator ? label(s.operator) : '(none)', s.label, account, tokens(s.withdrawable), tokens(s.inFlight), s.operatorTarget === undefined ? '—' : tokens(s.operatorTarget)]
      })
    console.log(table(['operator', 'staker', 'account', 'withdrawable', 'in flight', 'plan'], rows).replace(/^/gm, '  '))
    for (const s of p.sagas)
      console.log(
        `  saga ${s.sagaId}: ${label(s.from.staker)} (${label(s.from.operator)}) → ${label(s.to.staker)} (${label(s.to.operator)}), ${s.tokens === null ? 'all' : tokens(s.tokens)}, step ${s.step} (${s.status}${s.completableAtBlock !== undefined && s.step === 'wait' ? `, completable at block ${s.completableAtBlock}` : ''})`,
      )
  }
  for (const m of r.moves.filter((x) => x.status !== 'started' && x.note)) console.log(`  not sent: ${label(m.from.staker)} → ${label(m.to.staker)} ${tokens(m.tokens)}: ${m.note}`)
}

main().catch(async (e: unknown) => {
  console.error(e)
  await shutdown(1)
})

/** Starts test/faults/bot.ts as a child process (node with the tsx loader) and collects its exit and its RESULT line. */
import { type ChildProcess, spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { decodeJson, encodeJson } from '../../shared/store/client.js'
import type { BotConfig } from './bot.js'
import type { RunRebalanceResult } from '../../shared/services/runRebalance.js'
import type { JobResult } from './job.js'

const require = createRequire(import.meta.url)
/** tsx as a loader inside ONE node process (the tsx CLI would add a parent process that outlives a SIGKILL). */
const TSX_LOADER = require.resolve('tsx')

/** A running bot process. */
export interface BotProcess {
  child: ChildProcess
  /** Resolves once the bot printed READY (only with `wait: true`). */
  ready: Promise<void>
  /** Lets a waiting bot start. */
  go(): void
  /** Exit code / signal and the parsed RESULT line (absent when killed). */
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; result?: JobResult & Partial<RunRebalanceResult>; output: string }>
}

/** Spawns the bot; `crashAt` sets AUTOPILOT_CRASH_AT for it. */
export function spawnBot(cfg: BotConfig, p: { crashAt?: string } = {}): BotProcess {
  const env: NodeJS.ProcessEnv = { ...process.env, FAULT_BOT_CONFIG: encodeJson(cfg), NODE_NO_WARNINGS: '1' }
  delete env.AUTOPILOT_CRASH_AT
  if (p.crashAt) env.AUTOPILOT_CRASH_AT = p.crashAt
  const child = spawn(process.execPath, ['--import', TSX_LOADER, 'test/faults/bot.ts'], { env, stdio: ['pipe', 'pipe', 'pipe'] })
  let output = ''
  let readyResolve: () => void = () => undefined
  const ready = new Promise<void>((resolve) => (readyResolve = resolve))
  child.stdout!.on('data', (d: Buffer) => {
    output += d.toString()
    if (output.includes('READY\n')) readyResolve()
  })
  child.stderr!.on('data', (d: Buffer) => {
    output += d.toString()
  })
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; result?: JobResult & Partial<RunRebalanceResult>; output: string }>((resolve) => {
    child.once('exit', (code, signal) => {
      const line = output.split('\n').find((l) => l.startsWith('RESULT '))
      resolve({ code, signal, result: line ? decodeJson<JobResult & Partial<RunRebalanceResult>>(line.slice('RESULT '.length)) : undefined, output })
    })
  })
  return { child, ready, go: () => child.stdin!.write('go\n'), done }
}

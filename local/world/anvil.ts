/** Starts Anvil (the binary shipped by the npm package @foundry-rs/anvil) on a free loopback port. */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { captureOutput, freePort, stopProcess, track, waitUntil } from './processes.js'

const require = createRequire(import.meta.url)

/** A running Anvil node. */
export interface AnvilNode {
  rpcUrl: string
  port: number
  chainId: number
  /** Where this node keeps the states of past blocks on disk (removed once it is gone). */
  cachePath: string
  stop: () => Promise<void>
}

/** Path of the platform's anvil binary inside node_modules (@foundry-rs/anvil-<os>-<arch>). */
export function anvilBinary(): string {
  const os = process.platform === 'win32' ? 'win32' : process.platform
  const arch = process.arch === 'x64' ? 'amd64' : process.arch
  const pkg = require.resolve(`@foundry-rs/anvil-${os}-${arch}/package.json`)
  return join(dirname(pkg), 'bin', process.platform === 'win32' ? 'anvil.exe' : 'anvil')
}

/** Options for {@link startAnvil}. */
export interface StartAnvilParameters {
  /** Chain id (default 31337). */
  chainId?: number
  /** Fixed port (default: a free one). */
  port?: number
}

/** Starts Anvil and resolves once it answers `eth_chainId`. */
export async function startAnvil({ chainId = 31337, port }: StartAnvilParameters = {}): Promise<AnvilNode> {
  const p = port ?? (await freePort())
  // Anvil writes the states it keeps of past blocks to disk (hundreds of MB for a few thousand blocks) and does not
  // remove them when it is stopped: each node gets a directory of its own, removed once the node is gone.
  const cachePath = mkdtempSync(join(tmpdir(), 'anvil-states-'))
  const child = spawn(anvilBinary(), ['--host', '127.0.0.1', '--port', String(p), '--chain-id', String(chainId), '--hardfork', 'cancun', '--gas-limit', '60000000', '--code-size-limit', '50000', '--cache-path', cachePath, '--silent'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  track(child, () => rmSync(cachePath, { recursive: true, force: true }))
  const output = captureOutput(child)
  const rpcUrl = `http://127.0.0.1:${p}`
  await waitUntil(
    'anvil',
    async () => {
      if (child.exitCode !== null) throw new Error(`anvil exited with ${child.exitCode}: ${output()}`)
      const res = await fetch(rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }) })
      return res.ok
    },
    20_000,
    output,
  )
  return { rpcUrl, port: p, chainId, cachePath, stop: () => stopProcess(child) }
}

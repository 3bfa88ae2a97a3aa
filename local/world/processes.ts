/** Child-process plumbing for the local world: free loopback ports, readiness waits, and stops that leave nothing behind. */
import type { ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'

/** Asks the OS for a free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/** Polls `check` until it resolves true, or throws after `timeoutMs` with `what` and the process's captured output. */
export async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number, output?: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await check().catch(() => false)) return
    if (Date.now() > deadline) throw new Error(`${what} did not become ready within ${timeoutMs} ms${output ? `:\n${output()}` : ''}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** Keeps the last few KB of a child's stdout/stderr for error messages. */
export function captureOutput(child: ChildProcess, limit = 8192): () => string {
  let buf = ''
  const add = (chunk: Buffer) => {
    buf = (buf + chunk.toString()).slice(-limit)
  }
  child.stdout?.on('data', add)
  child.stderr?.on('data', add)
  return () => buf
}

/** Live children, each with what to clean up once it is gone. */
const live = new Map<ChildProcess, (() => void) | undefined>()
let hooked = false

/**
 * Registers a child so it is killed if this process exits or is terminated (SIGTERM/SIGHUP) without stopping it.
 * @param cleanup runs once the child is gone: when it exits, or right after it is killed on this process's exit
 */
export function track(child: ChildProcess, cleanup?: () => void): void {
  live.set(child, cleanup)
  child.once('exit', () => {
    live.delete(child)
    cleanup?.()
  })
  if (!hooked) {
    hooked = true
    const killAll = () => {
      for (const [c, clean] of live) {
        c.kill('SIGKILL')
        clean?.()
      }
    }
    process.once('exit', killAll)
    for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
      process.once(signal, () => {
        killAll()
        // Nobody else handles it: terminate as the signal would have.
        if (process.listenerCount(signal) === 0) process.exit(128 + (signal === 'SIGTERM' ? 15 : 1))
      })
    }
  }
}

/** Stops a child: SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
export async function stopProcess(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
  await exited
  clearTimeout(timer)
}

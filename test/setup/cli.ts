/** Runs the `autopilot` CLI in-process with captured stdout/stderr (shared by the unit and integration CLI tests). */
import { main } from '../../local/cli/main.js'

/** Runs `autopilot ...args`; returns the exit code and everything printed. */
export async function runCli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = []
  const err: string[] = []
  const sink = (to: string[]) => (s: string) => {
    to.push(s)
    return true
  }
  const code = await main(args, { stdout: sink(out), stderr: sink(err) })
  return { code, out: out.join(''), err: err.join('') }
}

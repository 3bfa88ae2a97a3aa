/** Compiles our own Solidity (local/contracts/*.sol) with the npm `solc` package, at run time, cached per process. */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import type { Abi, Hex } from 'viem'

const require = createRequire(import.meta.url)
const CONTRACTS_DIR = fileURLToPath(new URL('../contracts/', import.meta.url))

/** ABI and creation bytecode of one compiled contract. */
export interface CompiledContract {
  abi: Abi
  bytecode: Hex
}

const cache = new Map<string, CompiledContract>()

/** Compiles `local/contracts/<file>` and returns contract `name` (cancun, optimizer on). Throws with solc's messages on error. */
export function compileContract(file: string, name: string): CompiledContract {
  const key = `${file}:${name}`
  const hit = cache.get(key)
  if (hit) return hit
  const solc = require('solc') as { compile: (input: string, opts?: unknown) => string }
  const input = {
    language: 'Solidity',
    sources: { [file]: { content: readFileSync(CONTRACTS_DIR + file, 'utf8') } },
    settings: {
      evmVersion: 'cancun',
      optimizer: { enabled: true, runs: 200 },
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
    },
  }
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: resolveImport })) as {
    errors?: { severity: string; formattedMessage: string }[]
    contracts: Record<string, Record<string, { abi: Abi; evm: { bytecode: { object: string } } }>>
  }
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error')
  if (errors.length > 0) throw new Error(`solc failed on ${file}:\n${errors.map((e) => e.formattedMessage).join('\n')}`)
  for (const [source, contracts] of Object.entries(output.contracts)) {
    for (const [contractName, c] of Object.entries(contracts)) {
      cache.set(`${source}:${contractName}`, { abi: c.abi, bytecode: `0x${c.evm.bytecode.object}` })
    }
  }
  const compiled = cache.get(key)
  if (!compiled) throw new Error(`contract ${name} not found in ${file}`)
  return compiled
}

function resolveImport(path: string): { contents: string } | { error: string } {
  try {
    return { contents: readFileSync(CONTRACTS_DIR + path, 'utf8') }
  } catch {
    return { error: `import not found: ${path}` }
  }
}

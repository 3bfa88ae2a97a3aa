/** A realistic curator setup for the infra tests: 2 vaults, 25 labelled operators, 8 services with metadata (policy and protocol config). */
import { createHash } from 'node:crypto'

const hex = (seed: string, digits: number) => createHash('sha256').update(seed).digest('hex').repeat(2).slice(0, digits)
const address = (seed: string) => `0x${hex(seed, 40)}`
export const vaults = ['treasury', 'growth'].map((v) => address(`vault:${v}`))
export const operators = Array.from({ length: 25 }, (_, i) => ({ address: address(`operator:${i}`), label: `Operator ${String(i + 1).padStart(2, '0')} — a node operator with a long, descriptive label` }))
export const services = Array.from({ length: 8 }, (_, i) => ({ id: `0x${hex(`network:${i}`, 40)}${String(i).padStart(24, '0')}`, label: `service-${i}/oracle-or-bridge-with-a-descriptive-name` }))

/** The policy a curator of two vaults with 25 operators and 8 services writes. */
export const realisticPolicy = {
  version: 1,
  positions: vaults.map((vault, i) => ({ vault, label: i === 0 ? 'DAO treasury vault' : 'Growth vault' })),
  operators: { allow: operators.map((o) => o.address), deny: [] },
  services: { allow: services.map((s) => s.id), deny: [] },
  caps: {
    perOperator: 0.1,
    perService: 0.3,
    perRiskGroup: [
      { group: 'bridges', members: [], cap: 0.25 },
      { group: 'same-client', members: operators.slice(0, 5).map((o) => o.address), cap: 0.3 },
    ],
  },
  minOperatorsPerService: 4,
  riskBudget: 0.004,
  maxCompoundedSlashProbability: 0.05,
  leverageCap: 1.5,
  turnoverCapPerRun: 0.15,
  minNetGainBpsPerYear: 8,
  gas: { maxFeePerGasGwei: 40, estimatedGasPerCall: 90000 },
  cooldownSeconds: 43200,
  mode: 'propose',
  slashResponse: 'zero-out',
  notifications: { webhookUrls: ['https://hooks.example.org/restake-autopilot/curator-alerts'], console: true },
  scoring: {
    defaultSeverity: 0.3,
    slashProbabilityOverrides: operators.slice(0, 6).map((o, i) => ({ operator: o.address, probabilityPerYear: 0.002 * (i + 1) })),
    serviceMetadata: services.map((s, i) => ({
      service: s.id,
      label: s.label,
      contractRisk: { audits: 1 + (i % 4), ageDays: 120 + 60 * i, tvlUsd: 5e7 * (i + 1) },
      severity: 0.2 + 0.05 * (i % 4),
      ...(i % 3 === 0 ? { riskGroup: 'bridges' } : {}),
    })),
    operatorMetadata: operators.map((o, i) => ({ operator: o.address, label: o.label, commission: 0.05 + 0.005 * (i % 10), ...(i < 5 ? { riskGroup: 'same-client' } : {}) })),
  },
}

/** Its protocol config: both vaults with their rewards contracts and every operator and service labelled. */
export const realisticProtocol = {
  symbiotic: { operatorVaultOptInService: address('optin:vault'), operatorNetworkOptInService: address('optin:network') },
  vaults: vaults.map((v, i) => ({ address: v, stakerRewards: [address(`rewards:${i}`)] })),
  labels: Object.fromEntries([...operators.map((o) => [o.address, o.label]), ...services.map((s) => [s.id, s.label]), ...vaults.map((v, i) => [v, `vault ${i + 1}`])]),
  fromBlock: '19000000',
  rewardLookbackDays: 90,
  confirmations: 3,
}

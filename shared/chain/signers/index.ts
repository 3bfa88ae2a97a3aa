/** Signers: a raw key for Anvil, an AWS KMS secp256k1 key everywhere else. */
export * from './der.js'
export * from './errors.js'
export * from './kmsSigner.js'
export * from './localSigner.js'

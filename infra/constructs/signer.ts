/** The curator's signing key: an asymmetric KMS key (ECC_SECG_P256K1, SIGN_VERIFY) — the private key never leaves KMS. */
import { RemovalPolicy } from 'aws-cdk-lib'
import type { IGrantable } from 'aws-cdk-lib/aws-iam'
import { Key, KeySpec, KeyUsage } from 'aws-cdk-lib/aws-kms'
import { Validations } from 'aws-cdk-lib'
import { Construct } from 'constructs'

/** The signing key and the one grant functions get on it. */
export class SignerKey extends Construct {
  readonly key: Key

  constructor(scope: Construct, id: string) {
    super(scope, id)
    this.key = new Key(this, 'Key', {
      keySpec: KeySpec.ECC_SECG_P256K1,
      keyUsage: KeyUsage.SIGN_VERIFY,
      description: 'restake-autopilot curator signer (secp256k1): the address derived from its public key holds the curator roles',
      // Losing the key loses the curator address and its roles: never delete it with the stack.
      removalPolicy: RemovalPolicy.RETAIN,
    })
    Validations.of(this.key).acknowledge({
      id: 'AwsSolutions-KMS5',
      reason:
        'Asymmetric ECC_SECG_P256K1 keys cannot rotate automatically (KMS supports rotation for symmetric keys only), and a new key would be a new curator address; rotate by deploying a new key and moving the delegator roles to its address.',
    })
  }

  /** Lets `grantee` sign digests and read the public key (to derive the address) — nothing else. */
  grantSign(grantee: IGrantable): void {
    this.key.grant(grantee, 'kms:Sign', 'kms:GetPublicKey')
  }
}

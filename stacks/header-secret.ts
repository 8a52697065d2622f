import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

/** Length of the generated header value; the services refuse anything under 32 characters. */
export const HEADER_VALUE_LENGTH = 48;

export interface HeaderSecretProps {
  /** @default RemovalPolicy.DESTROY */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The shared value senders put in the auth header, kept in Secrets Manager as
 * `{"current": "..."}` (and `"previous"` during a rotation). Secrets Manager generates it at
 * deploy time, so no value is ever in the template or in `cdk.out`.
 */
export class HeaderSecret extends Construct {
  readonly secret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: HeaderSecretProps = {}) {
    super(scope, id);
    this.secret = new secretsmanager.Secret(this, 'Secret', {
      description:
        'Shared value of the registration auth header: {"current": "...", "previous": "..."}',
      generateSecretString: {
        secretStringTemplate: JSON.stringify({}),
        generateStringKey: 'current',
        passwordLength: HEADER_VALUE_LENGTH,
        // Letters and digits only: the value travels in an HTTP header, a comma-separated list
        // (AUTH_HEADER_SECRETS) and a WAF byte match, none of which should need escaping.
        excludePunctuation: true,
        includeSpace: false,
      },
      removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
    });

    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The header value is also baked into the WAF WebACL at deploy time, so a rotation Lambda ' +
        'changing it alone would lock the producer out; it is rotated by the documented ' +
        'current/previous procedure, which updates WAF in the same step (docs/deploy.md).',
    });
  }

  /**
   * A CloudFormation dynamic reference to one key of the secret
   * (`{{resolve:secretsmanager:…:SecretString:<key>::}}`), resolved by CloudFormation at deploy
   * time. The synthesized template holds only the reference, never the value.
   */
  dynamicReference(key: 'current' | 'previous'): string {
    // unsafeUnwrap is the point here: WAF needs the value as a plain property, and the
    // `checkSecretUsage` flag requires saying so explicitly.
    return this.secret.secretValueFromJson(key).unsafeUnwrap();
  }
}

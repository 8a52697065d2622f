import { Aws, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
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
 * `{"current": "...", "previous": "..."}`: senders send `current`, WAF and the API accept both.
 * Secrets Manager generates it at deploy time, so no value is ever in the template or in
 * `cdk.out`; HeaderRotation adds `previous` and rotates it.
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
  }

  /**
   * A resource policy that refuses to reveal the value to anyone but `readers` (the senders, the
   * API task, the rotation functions) and the CDK deployment role, which resolves the WAF rule's
   * dynamic references. An explicit deny beats any identity policy, so an administrator's
   * `secretsmanager:*` does not read the value either; rotating it (RotateSecret) stays possible.
   */
  restrictReadsTo(readers: readonly iam.IRole[]): void {
    this.secret.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'OnlyTheSendersTheApiAndTheRotationReadTheValue',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['secretsmanager:GetSecretValue'],
        resources: ['*'],
        conditions: {
          ArnNotLike: {
            'aws:PrincipalArn': [
              ...readers.map((role) => role.roleArn),
              // CDK's bootstrap names the role CloudFormation deploys with
              // cdk-<qualifier>-cfn-exec-role-<account>-<region>.
              `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/cdk-*-cfn-exec-role-${Aws.ACCOUNT_ID}-${Aws.REGION}`,
            ],
          },
        },
      }),
    );
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

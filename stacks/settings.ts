import { RemovalPolicy } from 'aws-cdk-lib';
import type { Node } from 'constructs';

/** What the app deploys, read once from CDK context (`cdk.json` or `-c key=value`). */
export interface DeploymentSettings {
  /** Names the stack (`CognitoUserSync-<stage>`) and its resources. @default 'dev' */
  readonly stage: string;
  /** The only part of the stack environment: ALB access logs need a concrete region. @default 'eu-west-1' */
  readonly region: string;
  /** ACM certificate for the HTTPS listener; HTTP only when unset. Requires `apiDomainName`. */
  readonly certificateArn?: string;
  /** DNS name the certificate covers, pointed at the ALB; producer and consumer call it. */
  readonly apiDomainName?: string;
  /** NAT Gateways, each with its own Elastic IP in the WAF allow-list. @default 2 for prod, else 1 */
  readonly natGateways: number;
  /** API tasks. @default 2 */
  readonly apiDesiredCount: number;
  /** Consumer tasks kept running with an empty queue (0 allowed). @default 1 */
  readonly consumerMinCapacity: number;
  /** Consumer tasks at most, reached on a deep queue. @default 4 */
  readonly consumerMaxCapacity: number;
  /** RDS standby in the second AZ. @default true for prod */
  readonly databaseMultiAz: boolean;
  /** Deletion protection on the database and the load balancer. @default true for prod */
  readonly deletionProtection: boolean;
  /** What `cdk destroy` does to stateful resources. @default RETAIN for prod, DESTROY otherwise */
  readonly removalPolicy: RemovalPolicy;
  /**
   * Lets the WAF guard accept the secret's `previous` value as well as `current`: set during a
   * header rotation (see docs/deploy.md), when the secret holds both keys. @default false
   */
  readonly acceptPreviousHeaderValue: boolean;
  /** Header carrying the shared value. @default 'x-custom-auth' */
  readonly authHeaderName: string;
  /** E-mail address subscribed to the alarm topic, if any. */
  readonly alarmEmail?: string;
  /**
   * Concurrency reserved for the PostConfirmation trigger, so that other functions in the
   * account cannot starve sign-ups (and a burst of sign-ups cannot starve them). Unset, the
   * function shares the account's unreserved pool; a new account's small limit may leave no room
   * to reserve. @default 20 for prod, unset otherwise
   */
  readonly producerReservedConcurrency?: number;
  readonly logLevel: string;
}

const removalPolicies: Record<string, RemovalPolicy> = {
  destroy: RemovalPolicy.DESTROY,
  retain: RemovalPolicy.RETAIN,
  snapshot: RemovalPolicy.SNAPSHOT,
};

class SettingsError extends Error {
  override readonly name = 'SettingsError';
}

/** Reads the context value `key`; `-c key=value` arrives as a string, cdk.json as JSON. */
function readString(node: Node, key: string): string | undefined {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    return String(value);
  }
  throw new SettingsError(`context "${key}" must be a string, number or boolean`);
}

function readInteger(node: Node, key: string, fallback: number, min: number, max: number): number {
  const raw = readString(node, key);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new SettingsError(`context "${key}" must be an integer from ${min} to ${max}`);
  }
  return value;
}

function readBoolean(node: Node, key: string, fallback: boolean): boolean {
  const raw = readString(node, key);
  if (raw === undefined) return fallback;
  if (raw === 'true' || raw === 'false') return raw === 'true';
  throw new SettingsError(`context "${key}" must be true or false`);
}

/**
 * Parses and validates the deployment settings from CDK context, with defaults that depend on
 * the stage (`prod` gets high availability and retention; anything else is cheap to tear down).
 * Throws naming the context key at fault.
 */
export function readDeploymentSettings(node: Node): DeploymentSettings {
  const stage = readString(node, 'stage') ?? 'dev';
  if (!/^[a-z][a-z0-9-]{0,19}$/.test(stage)) {
    throw new SettingsError('context "stage" must be lower-case letters, digits and dashes');
  }
  const isProduction = stage === 'prod';

  const region = readString(node, 'region') ?? 'eu-west-1';
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) {
    throw new SettingsError('context "region" must be an AWS region name such as eu-west-1');
  }

  const certificateArn = readString(node, 'certificateArn');
  const apiDomainName = readString(node, 'apiDomainName');
  if (certificateArn !== undefined && !/^arn:aws[\w-]*:acm:/.test(certificateArn)) {
    throw new SettingsError('context "certificateArn" must be an ACM certificate ARN');
  }
  if ((certificateArn === undefined) !== (apiDomainName === undefined)) {
    // The certificate only validates for its own name, so senders must call that name.
    throw new SettingsError('context "certificateArn" and "apiDomainName" go together');
  }

  const removalPolicyName =
    readString(node, 'removalPolicy') ?? (isProduction ? 'retain' : 'destroy');
  const removalPolicy = removalPolicies[removalPolicyName];
  if (removalPolicy === undefined) {
    throw new SettingsError('context "removalPolicy" must be destroy, retain or snapshot');
  }

  const consumerMinCapacity = readInteger(node, 'consumerMinCapacity', 1, 0, 50);
  const consumerMaxCapacity = readInteger(node, 'consumerMaxCapacity', 4, 1, 50);
  if (consumerMaxCapacity < consumerMinCapacity) {
    throw new SettingsError('context "consumerMaxCapacity" must be at least "consumerMinCapacity"');
  }

  const authHeaderName = (readString(node, 'authHeaderName') ?? 'x-custom-auth').toLowerCase();
  if (!/^[a-z0-9-]{1,64}$/.test(authHeaderName)) {
    throw new SettingsError('context "authHeaderName" must be an HTTP header name');
  }

  const logLevel = readString(node, 'logLevel') ?? 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace'].includes(logLevel)) {
    throw new SettingsError('context "logLevel" must be fatal, error, warn, info, debug or trace');
  }

  return Object.freeze({
    stage,
    region,
    certificateArn,
    apiDomainName,
    natGateways: readInteger(node, 'natGateways', isProduction ? 2 : 1, 1, 2),
    apiDesiredCount: readInteger(node, 'apiDesiredCount', 2, 1, 20),
    consumerMinCapacity,
    consumerMaxCapacity,
    databaseMultiAz: readBoolean(node, 'databaseMultiAz', isProduction),
    deletionProtection: readBoolean(node, 'deletionProtection', isProduction),
    removalPolicy,
    acceptPreviousHeaderValue: readBoolean(node, 'acceptPreviousHeaderValue', false),
    authHeaderName,
    alarmEmail: readString(node, 'alarmEmail'),
    producerReservedConcurrency:
      readString(node, 'producerReservedConcurrency') === undefined && !isProduction
        ? undefined
        : readInteger(node, 'producerReservedConcurrency', 20, 1, 1000),
    logLevel,
  });
}

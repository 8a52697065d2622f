import { RemovalPolicy } from 'aws-cdk-lib';
import type { Node } from 'constructs';
import { SYNC_DEFAULTS, type CognitoUserSyncOptions } from './cognito-user-sync';
import { readDatabaseSource, readNetworkSource, readUserPoolSource } from './adoption-settings';
import { readBoolean, readInteger, readString, SettingsError } from './context-values';

/**
 * What the app deploys, read once from CDK context (`cdk.json` or `-c key=value`): the stack's
 * name and region, and the system's options (see CognitoUserSyncOptions). Defaults depend on the
 * stage: `prod` gets high availability and retention, any other stage is cheap to tear down.
 * - user pool, network, database: created unless adopted (`existingUserPoolId`,
 *   `existingVpcId`, `existingDatabaseSecretArn` and their companions);
 * - natGateways (created network): 2 for prod, else 1; databaseMultiAz (created database),
 *   deletionProtection: true for prod; removalPolicy: RETAIN for prod, DESTROY otherwise;
 *   producerReservedConcurrency: 20 for prod, unset otherwise; the rest as SYNC_DEFAULTS.
 */
export interface DeploymentSettings extends CognitoUserSyncOptions {
  /** Names the stack (`CognitoUserSync-<stage>`) and its resources. @default 'dev' */
  readonly stage: string;
  /** The only part of the stack environment: ALB access logs need a concrete region. @default 'eu-west-1' */
  readonly region: string;
}

/**
 * - `hosted-zone`: a DNS-validated ACM certificate for `apiDomainName` and an alias record for
 *   the load balancer, both in the given Route 53 zone (built from its ID and name, no lookup);
 * - `certificate`: an existing ACM certificate; point `apiDomainName` at the load balancer yourself;
 * - `insecure-http`: plain HTTP to the load balancer's own name (`allowInsecureHttp`, never prod).
 */
export type TlsSettings =
  | {
      kind: 'hosted-zone';
      hostedZoneId: string;
      hostedZoneName: string;
      apiDomainName: string;
    }
  | { kind: 'certificate'; certificateArn: string; apiDomainName: string }
  | { kind: 'insecure-http' };

const DOMAIN_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

const removalPolicies: Record<string, RemovalPolicy> = {
  destroy: RemovalPolicy.DESTROY,
  retain: RemovalPolicy.RETAIN,
  snapshot: RemovalPolicy.SNAPSHOT,
};

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

  const tls = readTlsSettings(node, isProduction);

  const removalPolicyName =
    readString(node, 'removalPolicy') ?? (isProduction ? 'retain' : 'destroy');
  const removalPolicy = removalPolicies[removalPolicyName];
  if (removalPolicy === undefined) {
    throw new SettingsError('context "removalPolicy" must be destroy, retain or snapshot');
  }

  const consumerMinCapacity = readInteger(
    node,
    'consumerMinCapacity',
    SYNC_DEFAULTS.consumerMinCapacity,
    0,
    50,
  );
  const consumerMaxCapacity = readInteger(
    node,
    'consumerMaxCapacity',
    SYNC_DEFAULTS.consumerMaxCapacity,
    1,
    50,
  );
  if (consumerMaxCapacity < consumerMinCapacity) {
    throw new SettingsError('context "consumerMaxCapacity" must be at least "consumerMinCapacity"');
  }

  const authHeaderName = (
    readString(node, 'authHeaderName') ?? SYNC_DEFAULTS.authHeaderName
  ).toLowerCase();
  if (!/^[a-z0-9-]{1,64}$/.test(authHeaderName)) {
    throw new SettingsError('context "authHeaderName" must be an HTTP header name');
  }

  const logLevel = readString(node, 'logLevel') ?? SYNC_DEFAULTS.logLevel;
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace'].includes(logLevel)) {
    throw new SettingsError('context "logLevel" must be fatal, error, warn, info, debug or trace');
  }

  const reconcileSchedule =
    readString(node, 'reconcileSchedule') ?? SYNC_DEFAULTS.reconcileSchedule;
  if (!/^(rate|cron)\(.+\)$/.test(reconcileSchedule)) {
    throw new SettingsError('context "reconcileSchedule" must be a rate(…) or cron(…) expression');
  }

  const network = readNetworkSource(node, { region, natGateways: isProduction ? 2 : 1 });
  return Object.freeze({
    stage,
    region,
    tls: Object.freeze(tls),
    userPool: readUserPoolSource(node, { region }),
    network,
    database: readDatabaseSource(node, { region, network, multiAz: isProduction }),
    apiDesiredCount: readInteger(node, 'apiDesiredCount', SYNC_DEFAULTS.apiDesiredCount, 1, 20),
    consumerMinCapacity,
    consumerMaxCapacity,
    deletionProtection: readBoolean(node, 'deletionProtection', isProduction),
    removalPolicy,
    headerRotationDays: readInteger(
      node,
      'headerRotationDays',
      SYNC_DEFAULTS.headerRotationDays,
      1,
      365,
    ),
    authHeaderName,
    alarmEmail: readString(node, 'alarmEmail'),
    producerReservedConcurrency:
      readString(node, 'producerReservedConcurrency') === undefined && !isProduction
        ? undefined
        : readInteger(node, 'producerReservedConcurrency', 20, 1, 1000),
    logLevel,
    reconcileSchedule,
  });
}

const TLS_HOW_TO =
  'set hostedZoneId, hostedZoneName and apiDomainName (a DNS-validated certificate and an ' +
  'alias record are created), or certificateArn and apiDomainName (an existing ACM certificate)';

function readTlsSettings(node: Node, isProduction: boolean): TlsSettings {
  const hostedZoneId = readString(node, 'hostedZoneId');
  const hostedZoneName = readString(node, 'hostedZoneName')?.toLowerCase().replace(/\.$/, '');
  const certificateArn = readString(node, 'certificateArn');
  const apiDomainName = readString(node, 'apiDomainName')?.toLowerCase().replace(/\.$/, '');
  const allowInsecureHttp = readBoolean(node, 'allowInsecureHttp', false);

  if (allowInsecureHttp) {
    if (isProduction) {
      throw new SettingsError(
        'context "allowInsecureHttp" is refused for stage "prod": the header value and every ' +
          `user's e-mail would cross the internet in clear; ${TLS_HOW_TO}`,
      );
    }
    if (
      [hostedZoneId, hostedZoneName, certificateArn, apiDomainName].some((v) => v !== undefined)
    ) {
      throw new SettingsError('context "allowInsecureHttp" contradicts the TLS settings given');
    }
    return { kind: 'insecure-http' };
  }
  if (apiDomainName === undefined) {
    throw new SettingsError(
      `the API needs TLS: ${TLS_HOW_TO}. A throwaway non-production stack may instead say ` +
        '-c allowInsecureHttp=true',
    );
  }
  if (!DOMAIN_NAME.test(apiDomainName)) {
    throw new SettingsError('context "apiDomainName" must be a DNS name such as api.example.com');
  }
  const zoneGiven = hostedZoneId !== undefined || hostedZoneName !== undefined;
  if (zoneGiven && certificateArn !== undefined) {
    throw new SettingsError(
      'context "certificateArn" and "hostedZoneId"/"hostedZoneName" are alternatives; set one',
    );
  }
  if (certificateArn !== undefined) {
    if (!/^arn:aws[\w-]*:acm:/.test(certificateArn)) {
      throw new SettingsError('context "certificateArn" must be an ACM certificate ARN');
    }
    return { kind: 'certificate', certificateArn, apiDomainName };
  }
  if (hostedZoneId === undefined || hostedZoneName === undefined) {
    throw new SettingsError(`context "apiDomainName" needs a certificate: ${TLS_HOW_TO}`);
  }
  if (!/^Z[A-Z0-9]{1,31}$/.test(hostedZoneId)) {
    throw new SettingsError('context "hostedZoneId" must be a Route 53 hosted zone ID (Z...)');
  }
  if (!DOMAIN_NAME.test(hostedZoneName)) {
    throw new SettingsError('context "hostedZoneName" must be a DNS name such as example.com');
  }
  if (apiDomainName !== hostedZoneName && !apiDomainName.endsWith(`.${hostedZoneName}`)) {
    throw new SettingsError('context "apiDomainName" must lie in the zone "hostedZoneName"');
  }
  return { kind: 'hosted-zone', hostedZoneId, hostedZoneName, apiDomainName };
}

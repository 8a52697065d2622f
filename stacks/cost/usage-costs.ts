import { displayName, numberOf, resourcesOf } from './cfn-template';
import { counted, usageLine, type CostLine, type CostRule } from './cost-line';
import type { PriceTable, UnitPrice } from './price-table';

function cognitoPrice(prices: PriceTable, tier: unknown): UnitPrice {
  if (tier === 'LITE') return prices.prices.cognitoLiteMau;
  if (tier === 'PLUS') return prices.prices.cognitoPlusMau;
  return prices.prices.cognitoEssentialsMau;
}

/**
 * Services billed only by use: Lambda (requests, GB-seconds), SQS and SNS requests, Cognito
 * monthly active users, S3 storage. An idle stack uses them too little to price, so each gets a
 * line saying so, with the unit price, rather than an invented figure.
 */
export const usageCosts: CostRule = {
  types: [
    'AWS::Lambda::Function',
    'AWS::Serverless::Application',
    'AWS::SQS::Queue',
    'AWS::SNS::Topic',
    'AWS::Cognito::UserPool',
    'AWS::S3::Bucket',
  ],
  price(template, prices) {
    const lines: CostLine[] = [];

    const functions = resourcesOf(template, 'AWS::Lambda::Function');
    const applications = resourcesOf(template, 'AWS::Serverless::Application');
    if (functions.length + applications.length > 0) {
      const ids = [...functions, ...applications].map((resource) => resource.logicalId);
      const what = [
        counted(functions.length, 'function'),
        ...(applications.length > 0
          ? [counted(applications.length, 'Serverless Application Repository app')]
          : []),
      ].join(' + ');
      const appsNote =
        applications.length > 0
          ? '; each app is a nested stack (a rotation function) whose resources are not in this template'
          : '';
      lines.push(
        usageLine(
          `Lambda requests: ${what}`,
          prices.prices.lambdaRequestsMillion,
          ids,
          `idle ≈ 0${appsNote}`,
        ),
        usageLine(`Lambda compute: ${what}`, prices.prices.lambdaGbSecond, ids, 'idle ≈ 0'),
      );
    }

    const queues = resourcesOf(template, 'AWS::SQS::Queue');
    if (queues.length > 0) {
      const waitSeconds = Math.max(
        0,
        ...queues.map((queue) => numberOf(queue.properties['ReceiveMessageWaitTimeSeconds']) ?? 0),
      );
      const polls = waitSeconds > 0 ? Math.round((prices.hoursPerMonth * 3600) / waitSeconds) : 0;
      lines.push(
        usageLine(
          `SQS requests: ${counted(queues.length, 'queue')}`,
          prices.prices.sqsRequestsMillion,
          queues.map((queue) => queue.logicalId),
          polls > 0
            ? `idle ≈ 0: an idle poller long-polling ${waitSeconds} s makes about ${polls.toLocaleString('en-US')} receives a month, inside the free million`
            : 'idle ≈ 0',
        ),
      );
    }

    const topics = resourcesOf(template, 'AWS::SNS::Topic');
    if (topics.length > 0) {
      lines.push(
        usageLine(
          `SNS publishes: ${counted(topics.length, 'topic')}`,
          prices.prices.snsPublishesMillion,
          topics.map((topic) => topic.logicalId),
          'idle ≈ 0: alarms only',
        ),
      );
    }

    for (const pool of resourcesOf(template, 'AWS::Cognito::UserPool')) {
      const tier = pool.properties['UserPoolTier'] ?? 'ESSENTIALS';
      lines.push(
        usageLine(
          `Cognito ${displayName(pool.logicalId)}: ${String(tier).toLowerCase()} tier`,
          cognitoPrice(prices, tier),
          [pool.logicalId],
          'priced by monthly active users',
        ),
      );
    }

    const buckets = resourcesOf(template, 'AWS::S3::Bucket');
    if (buckets.length > 0) {
      lines.push(
        usageLine(
          `S3 storage: ${counted(buckets.length, 'bucket')}`,
          prices.prices.s3StandardGbMonth,
          buckets.map((bucket) => bucket.logicalId),
          'grows with what is written (access logs: a line a request)',
        ),
      );
    }
    return { lines };
  },
};

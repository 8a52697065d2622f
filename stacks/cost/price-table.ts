import fs from 'node:fs';
import path from 'node:path';
import * as z from 'zod';

/** The price table kept in the repository, for the stacks' default region. */
export const DEFAULT_PRICE_TABLE_FILE = path.join(__dirname, 'price-table.eu-west-1.json');

const checkSchema = z.enum(['confirmed', 'unconfirmed']);

const unitPriceSchema = z.strictObject({
  usd: z.number().nonnegative(),
  unit: z.string().min(1),
  /** A key of `sources`: the AWS page and price-list file the figure comes from. */
  source: z.string().min(1),
  check: checkSchema,
  /** How the figure was checked, or why it could not be. */
  evidence: z.string().min(1),
});

const priceKeys = [
  'natGatewayHour',
  'natGatewayDataGb',
  'publicIpv4Hour',
  'albHour',
  'albLcuHour',
  'wafWebAclMonth',
  'wafRuleMonth',
  'wafRequestsMillion',
  'fargateX86VcpuHour',
  'fargateX86GbHour',
  'fargateArmVcpuHour',
  'fargateArmGbHour',
  'fargateEphemeralGbHour',
  'rdsGp3GbMonth',
  'rdsGp2GbMonth',
  'rdsBackupGbMonth',
  'interfaceEndpointAzHour',
  'interfaceEndpointDataGb',
  'secretMonth',
  'secretsApiCalls10k',
  'kmsKeyMonth',
  'kmsRequests10k',
  'dashboardMonth',
  'alarmMetricMonth',
  'alarmMetricHighResMonth',
  'customMetricMonth',
  'logsIngestionGb',
  'logsStorageGbMonth',
  'lambdaRequestsMillion',
  'lambdaGbSecond',
  'lambdaArmGbSecond',
  'sqsRequestsMillion',
  'snsPublishesMillion',
  'cognitoLiteMau',
  'cognitoEssentialsMau',
  'cognitoPlusMau',
  's3StandardGbMonth',
  'schedulerInvocationsMillion',
] as const;

const priceTableSchema = z
  .strictObject({
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/),
    currency: z.literal('USD'),
    /** The day the figures were compiled (YYYY-MM-DD). */
    retrieved: z.iso.date(),
    hoursPerMonth: z.number().positive(),
    notes: z.array(z.string()),
    sources: z.record(z.string(), z.strictObject({ page: z.url(), priceList: z.url() })),
    prices: z.strictObject(
      Object.fromEntries(priceKeys.map((key) => [key, unitPriceSchema])) as Record<
        (typeof priceKeys)[number],
        typeof unitPriceSchema
      >,
    ),
    /** Engine → instance class → hourly price of one (Single-AZ) instance. */
    rdsInstanceHours: z.record(z.string(), z.record(z.string(), unitPriceSchema)),
    freeTier: z.strictObject({
      dashboards: z.number().int().nonnegative(),
      alarmMetrics: z.number().int().nonnegative(),
      customMetrics: z.number().int().nonnegative(),
      source: z.string(),
      check: checkSchema,
      evidence: z.string(),
    }),
    assumptions: z.strictObject({
      /** How long one run of a scheduled task is billed (Fargate bills a minute at least). */
      scheduledTaskMinutesPerRun: z.number().min(1),
      /** How long one run of a scheduled Lambda function is billed. */
      scheduledFunctionSecondsPerRun: z.number().positive(),
      containerInsightsMetrics: z.strictObject({
        perCluster: z.number().int().nonnegative(),
        perService: z.number().int().nonnegative(),
        perTaskFamily: z.number().int().nonnegative(),
        check: checkSchema,
        evidence: z.string(),
      }),
    }),
  })
  .superRefine((table, ctx) => {
    const cited = [
      ...Object.values(table.prices),
      ...Object.values(table.rdsInstanceHours).flatMap((classes) => Object.values(classes)),
      table.freeTier,
    ].map((entry) => entry.source);
    for (const source of new Set(cited)) {
      if (!(source in table.sources)) {
        ctx.addIssue({ code: 'custom', message: `cites source "${source}", which is not listed` });
      }
    }
  });

export type PriceTable = z.output<typeof priceTableSchema>;
export type UnitPrice = z.output<typeof unitPriceSchema>;
export type PriceKey = (typeof priceKeys)[number];

/** A price table that does not match the schema; the message names every field at fault. */
export class PriceTableError extends Error {
  override readonly name = 'PriceTableError';
}

/** Validates a parsed price table. */
export function parsePriceTable(raw: unknown, origin = 'price table'): PriceTable {
  const result = priceTableSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`,
    );
    throw new PriceTableError(`${origin} is invalid: ${problems.join('; ')}`);
  }
  return result.data;
}

/** Reads and validates a price table file (the repository's own by default). */
export function loadPriceTable(file = DEFAULT_PRICE_TABLE_FILE): PriceTable {
  return parsePriceTable(JSON.parse(fs.readFileSync(file, 'utf8')), path.basename(file));
}

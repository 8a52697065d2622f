/**
 * `npm run cost -- [--stage dev|prod]… [-c key=value]… [--template file.json] [--json] [--free-tier]`
 *
 * The idle monthly bill of a stage, line by line, from its synthesized template (synthesized here,
 * offline) and the price table kept in `stacks/cost/`. Without `--stage` it prices dev and prod;
 * `-c` passes settings through as `cdk deploy -c` would (`-c natGateways=1`,
 * `-c consumerMinCapacity=0`); `--template` prices a template file instead.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { CfnTemplate } from '../stacks/cost/cfn-template';
import { formatBill } from '../stacks/cost/format-bill';
import { loadPriceTable } from '../stacks/cost/price-table';
import { priceTemplate, type Bill } from '../stacks/cost/price-template';
import { synthesizeStageTemplate, type ContextValue } from '../stacks/cost/stage-template';

const USAGE =
  'usage: npm run cost -- [--stage dev|prod]... [-c key=value]... [--template file.json] [--json] [--free-tier]';

/** A command line the script cannot run; printed with the usage line. */
class UsageError extends Error {
  override readonly name = 'UsageError';
}

interface CostOptions {
  stages: string[];
  context: Record<string, ContextValue>;
  templateFile: string | undefined;
  json: boolean;
  freeTier: boolean;
}

function parseOptions(argv: string[]): CostOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        stage: { type: 'string', multiple: true },
        context: { type: 'string', short: 'c', multiple: true },
        template: { type: 'string' },
        json: { type: 'boolean', default: false },
        'free-tier': { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const context: Record<string, ContextValue> = {};
  for (const pair of values.context ?? []) {
    const match = /^([^=]+)=(.*)$/.exec(pair);
    if (!match?.[1]) throw new UsageError(`-c takes key=value, not "${pair}"`);
    if (match[1] === 'stage') throw new UsageError('give the stage with --stage, not -c stage=');
    context[match[1]] = match[2] ?? '';
  }
  if (values.template !== undefined && (values.stage !== undefined || values.context)) {
    throw new UsageError('--template prices a file as it is: it takes no --stage or -c');
  }
  return {
    stages: values.stage ?? ['dev', 'prod'],
    context,
    templateFile: values.template,
    json: values.json ?? false,
    freeTier: values['free-tier'] ?? false,
  };
}

interface PricedTemplate {
  /** The stage, or the template file's name. */
  name: string;
  stackName?: string;
  bill: Bill;
}

function main(): void {
  const options = parseOptions(process.argv.slice(2));
  const prices = loadPriceTable();
  const billOptions = { freeTier: options.freeTier };
  const priced: PricedTemplate[] = [];
  if (options.templateFile !== undefined) {
    const template = JSON.parse(fs.readFileSync(options.templateFile, 'utf8')) as CfnTemplate;
    priced.push({
      name: path.basename(options.templateFile),
      bill: priceTemplate(template, prices, billOptions),
    });
  } else {
    for (const stage of options.stages) {
      const { stackName, region, template } = synthesizeStageTemplate({
        ...options.context,
        stage,
      });
      if (region !== prices.region) {
        throw new Error(`${stackName} is in ${region}; the price table is for ${prices.region}`);
      }
      priced.push({ name: stage, stackName, bill: priceTemplate(template, prices, billOptions) });
    }
  }

  if (options.json) {
    process.stdout.write(
      `${JSON.stringify(
        priced.map(({ name, stackName, bill }) => ({ name, stackName, ...bill })),
        null,
        2,
      )}\n`,
    );
    return;
  }
  const texts = priced.map(({ name, stackName, bill }) => formatBill(stackName ?? name, bill));
  if (priced.length > 1) {
    texts.push(
      priced
        .map(({ name, bill }) => `${name}: ${bill.total.toFixed(2)} ${bill.currency} a month`)
        .join(' · '),
    );
  }
  process.stdout.write(`${texts.join('\n\n')}\n`);
}

try {
  main();
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`cost: ${message}${error instanceof UsageError ? `\n${USAGE}` : ''}\n`);
  process.exitCode = error instanceof UsageError ? 2 : 1;
}

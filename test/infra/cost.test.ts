import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { SOURCE_ROOT } from '../../stacks/app';
import { freeReason } from '../../stacks/cost/free-resources';
import { loadPriceTable } from '../../stacks/cost/price-table';
import { priceTemplate, pricedTypes, type Bill } from '../../stacks/cost/price-template';
import { synthesizeStageTemplate, type StageTemplate } from '../../stacks/cost/stage-template';
import { ADOPTED_MODES } from './adoption-modes';

const prices = loadPriceTable();

/** The resource types of a template that no cost rule prices and that are not declared free. */
function unaccountedTypes(template: StageTemplate['template']): string[] {
  const priced = pricedTypes();
  return [...new Set(Object.values(template.Resources).map((resource) => resource.Type))].filter(
    (type) => !priced.has(type) && freeReason(type) === undefined,
  );
}

describe('npm run cost on the synthesized stages', () => {
  const stages: Record<string, { synthesized: StageTemplate; bill: Bill }> = {};

  beforeAll(() => {
    for (const stage of ['dev', 'prod']) {
      const synthesized = synthesizeStageTemplate({ stage });
      stages[stage] = { synthesized, bill: priceTemplate(synthesized.template, prices) };
    }
  }, 60_000);

  const stage = (name: string): { synthesized: StageTemplate; bill: Bill } => {
    const found = stages[name];
    if (found === undefined) throw new Error(`stage ${name} was not synthesized`);
    return found;
  };

  test.each(['dev', 'prod'])(
    'every resource type in the %s template is priced or declared free, so nothing is dropped',
    (name) => {
      const { synthesized, bill } = stage(name);
      expect(unaccountedTypes(synthesized.template)).toEqual([]);
      expect(bill.notPriced).toEqual([]);
      expect(synthesized.region).toBe(prices.region);
    },
  );

  test('prod costs more than dev, and its NAT line is two gateways', () => {
    const dev = stage('dev').bill;
    const prod = stage('prod').bill;
    expect(dev.total).toBeGreaterThan(0);
    expect(prod.total).toBeGreaterThan(dev.total);
    expect(
      prod.lines.find((line) => line.item.includes('NAT gateway') && line.basis === 'idle'),
    ).toMatchObject({ item: '2 NAT gateways', quantity: 2 * 730 });
    expect(
      dev.lines.find((line) => line.item.includes('NAT gateway') && line.basis === 'idle'),
    ).toMatchObject({ item: '1 NAT gateway', quantity: 730 });
  });

  test('settings passed through change the bill: one NAT gateway and no idle consumer', () => {
    const lean = synthesizeStageTemplate({
      stage: 'prod',
      natGateways: '1',
      consumerMinCapacity: '0',
    });
    const bill = priceTemplate(lean.template, prices);
    const consumerVcpu = bill.lines.find((line) => line.item.startsWith('Fargate ConsumerService'));
    expect(consumerVcpu).toMatchObject({ quantity: 0, monthly: 0 });
    expect(bill.total).toBeLessThan(stage('prod').bill.total - 35);
  }, 30_000);

  test.each(ADOPTED_MODES)(
    'with the $name, every resource type is priced or declared free, and an adopted part is off the bill',
    ({ context, adopted }) => {
      const synthesized = synthesizeStageTemplate(context);
      const bill = priceTemplate(synthesized.template, prices);
      expect(unaccountedTypes(synthesized.template)).toEqual([]);
      expect(bill.notPriced).toEqual([]);
      const items = bill.lines.map((line) => line.item).join('\n');
      // The team already pays for what it lends: its NAT gateways and its database.
      expect(/NAT gateway/.test(items)).toBe(!adopted.includes('network'));
      expect(/RDS|PostgreSQL/.test(items)).toBe(!adopted.includes('database'));
      expect(bill.total).toBeLessThanOrEqual(stage('dev').bill.total);
    },
    30_000,
  );

  test('npm run cost -- --stage dev --json prints the same bill as JSON', async () => {
    const { stdout } = await promisify(execFile)(
      'npm',
      ['run', '--silent', 'cost', '--', '--stage', 'dev', '--json'],
      { cwd: SOURCE_ROOT, timeout: 60_000 },
    );
    const reports = JSON.parse(stdout) as (Bill & { name: string; stackName: string })[];
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({
      name: 'dev',
      stackName: 'CognitoUserSync-dev',
      notPriced: [],
    });
    expect(reports[0]?.total).toBeCloseTo(stage('dev').bill.total, 6);
  }, 60_000);
});

import type { CfnTemplate } from '../../../stacks/cost/cfn-template';
import { runsPerMonth } from '../../../stacks/cost/compute-costs';
import type { CostLine } from '../../../stacks/cost/cost-line';
import { loadPriceTable, parsePriceTable, PriceTableError } from '../../../stacks/cost/price-table';
import { priceTemplate } from '../../../stacks/cost/price-template';

const prices = loadPriceTable();

/**
 * A small template written by hand: one NAT gateway and its Elastic IP, an internet-facing ALB in
 * two subnets, a WebACL with two rules and one managed group, one Fargate service of two
 * 0.25 vCPU / 0.5 GB tasks, a Multi-AZ db.t4g.micro with 20 GB gp3, an interface endpoint in two
 * subnets, two secrets, one KMS key, four alarms and one dashboard.
 */
const smallTemplate: CfnTemplate = {
  Resources: {
    Vpc: { Type: 'AWS::EC2::VPC' },
    PublicA: { Type: 'AWS::EC2::Subnet' },
    PublicB: { Type: 'AWS::EC2::Subnet' },
    NatEip: { Type: 'AWS::EC2::EIP', Properties: { Domain: 'vpc' } },
    Nat: {
      Type: 'AWS::EC2::NatGateway',
      Properties: { AllocationId: { 'Fn::GetAtt': ['NatEip', 'AllocationId'] } },
    },
    Alb: {
      Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer',
      Properties: {
        Type: 'application',
        Scheme: 'internet-facing',
        Subnets: [{ Ref: 'PublicA' }, { Ref: 'PublicB' }],
      },
    },
    WebAcl: {
      Type: 'AWS::WAFv2::WebACL',
      Properties: {
        Rules: [
          { Name: 'Guard', Statement: { ByteMatchStatement: {} } },
          { Name: 'RateLimit', Statement: { RateBasedStatement: { Limit: 1000 } } },
          {
            Name: 'Common',
            Statement: {
              ManagedRuleGroupStatement: {
                VendorName: 'AWS',
                Name: 'AWSManagedRulesCommonRuleSet',
              },
            },
          },
        ],
      },
    },
    Cluster: { Type: 'AWS::ECS::Cluster' },
    ApiTask: {
      Type: 'AWS::ECS::TaskDefinition',
      Properties: { Cpu: '256', Memory: '512', RuntimePlatform: { CpuArchitecture: 'X86_64' } },
    },
    ApiService: {
      Type: 'AWS::ECS::Service',
      Properties: {
        Cluster: { Ref: 'Cluster' },
        LaunchType: 'FARGATE',
        DesiredCount: 2,
        TaskDefinition: { Ref: 'ApiTask' },
      },
    },
    Database: {
      Type: 'AWS::RDS::DBInstance',
      Properties: {
        Engine: 'postgres',
        DBInstanceClass: 'db.t4g.micro',
        AllocatedStorage: '20',
        StorageType: 'gp3',
        MultiAZ: true,
        BackupRetentionPeriod: 7,
      },
    },
    SqsEndpoint: {
      Type: 'AWS::EC2::VPCEndpoint',
      Properties: {
        VpcEndpointType: 'Interface',
        ServiceName: 'com.amazonaws.eu-west-1.sqs',
        SubnetIds: [{ Ref: 'PrivateA' }, { Ref: 'PrivateB' }],
      },
    },
    HeaderSecret: { Type: 'AWS::SecretsManager::Secret' },
    DatabaseSecret: { Type: 'AWS::SecretsManager::Secret' },
    TopicKey: { Type: 'AWS::KMS::Key', Properties: { EnableKeyRotation: true } },
    AlarmA: { Type: 'AWS::CloudWatch::Alarm', Properties: { Period: 60 } },
    AlarmB: { Type: 'AWS::CloudWatch::Alarm', Properties: { Period: 300 } },
    AlarmC: { Type: 'AWS::CloudWatch::Alarm', Properties: { Period: 300 } },
    AlarmD: { Type: 'AWS::CloudWatch::Alarm', Properties: { Period: 3600 } },
    Dashboard: { Type: 'AWS::CloudWatch::Dashboard' },
  },
};

/** The idle line whose item starts with `prefix`. */
function lineStarting(lines: CostLine[], prefix: string): CostLine {
  const line = lines.find(
    (candidate) => candidate.basis === 'idle' && candidate.item.startsWith(prefix),
  );
  if (line === undefined) throw new Error(`no idle line starting "${prefix}"`);
  return line;
}

/** A copy of `template` with `resources` added or replaced. */
const withResources = (
  template: CfnTemplate,
  resources: CfnTemplate['Resources'],
): CfnTemplate => ({
  Resources: { ...template.Resources, ...resources },
});

describe('the idle bill of a template', () => {
  test('the price table still has the figures the hand computation below uses', () => {
    const p = prices.prices;
    expect(prices.hoursPerMonth).toBe(730);
    expect([p.natGatewayHour.usd, p.publicIpv4Hour.usd, p.albHour.usd]).toEqual([
      0.048, 0.005, 0.0252,
    ]);
    expect([p.wafWebAclMonth.usd, p.wafRuleMonth.usd]).toEqual([5, 1]);
    expect([p.fargateX86VcpuHour.usd, p.fargateX86GbHour.usd]).toEqual([0.04048, 0.004445]);
    expect(prices.rdsInstanceHours['postgres']?.['db.t4g.micro']?.usd).toBe(0.018);
    expect(p.rdsGp3GbMonth.usd).toBe(0.127);
    expect(p.interfaceEndpointAzHour.usd).toBe(0.011);
    expect([p.secretMonth.usd, p.kmsKeyMonth.usd]).toEqual([0.4, 1]);
    expect([p.alarmMetricMonth.usd, p.dashboardMonth.usd]).toEqual([0.1, 3]);
  });

  test('when priced by hand line by line, the small template comes to 143.03 USD a month', () => {
    const bill = priceTemplate(smallTemplate, prices);

    //  NAT gateway            1 × 730 h × 0.048                 =  35.04
    //  public IPv4 (EIP)      1 × 730 h × 0.005                 =   3.65
    //  public IPv4 (ALB)      2 subnets × 730 h × 0.005         =   7.30
    //  ALB                    730 h × 0.0252                    =  18.396
    //  WAF                    5 + 2 rules × 1 + 1 group × 1     =   8.00
    //  Fargate vCPU           2 × 0.25 vCPU × 730 h × 0.04048   =  14.7752
    //  Fargate memory         2 × 0.5 GB × 730 h × 0.004445     =   3.24485
    //  RDS instance           2 (Multi-AZ) × 730 h × 0.018      =  26.28
    //  RDS storage            2 × 20 GB × 0.127                 =   5.08
    //  interface endpoint     2 AZs × 730 h × 0.011             =  16.06
    //  secrets                2 × 0.40                          =   0.80
    //  KMS key                1 × 1.00                          =   1.00
    //  alarms                 4 metrics × 0.10                  =   0.40
    //  dashboard              1 × 3.00                          =   3.00
    //                                                     total = 143.02605
    expect(bill.total).toBeCloseTo(143.02605, 6);

    const lines = bill.lines;
    expect(lineStarting(lines, '1 NAT gateway')).toMatchObject({ quantity: 730, monthly: 35.04 });
    expect(lineStarting(lines, 'Public IPv4: 1 Elastic IP').quantity).toBe(730);
    expect(lineStarting(lines, 'Public IPv4: Alb').quantity).toBe(1460);
    expect(lineStarting(lines, 'Application load balancer Alb').monthly).toBeCloseTo(18.396, 6);
    expect(lineStarting(lines, 'WAF WebAcl: 2 rules').quantity).toBe(2);
    expect(lineStarting(lines, 'WAF WebAcl: 1 managed rule group').quantity).toBe(1);
    expect(lineStarting(lines, 'Fargate ApiService: 2 tasks × 0.25 vCPU (x86)').quantity).toBe(365);
    expect(lineStarting(lines, 'Fargate ApiService: 2 tasks × 0.5 GB').quantity).toBe(730);
    expect(lineStarting(lines, 'RDS Database: db.t4g.micro postgres, Multi-AZ').quantity).toBe(
      1460,
    );
    expect(lineStarting(lines, 'RDS Database: 20 GB gp3 × 2 copies').quantity).toBe(40);
    expect(lineStarting(lines, 'Interface endpoint sqs in 2 AZs').quantity).toBe(1460);
    expect(lineStarting(lines, 'CloudWatch: 4 alarms').quantity).toBe(4);
    expect(bill.notPriced).toEqual([]);
  });

  test('usage-only services get a line at 0 with their unit price, not an invented figure', () => {
    const template = withResources(smallTemplate, {
      Producer: { Type: 'AWS::Lambda::Function' },
      Queue: { Type: 'AWS::SQS::Queue', Properties: { ReceiveMessageWaitTimeSeconds: 20 } },
    });
    const bill = priceTemplate(template, prices);
    const usage = bill.lines.filter((line) => line.basis === 'usage');
    expect(usage.find((line) => line.item.startsWith('Lambda requests'))).toMatchObject({
      quantity: 0,
      monthly: 0,
      unitPrice: 0.2,
    });
    expect(usage.find((line) => line.item.startsWith('SQS requests'))?.note).toMatch(/^idle ≈ 0/);
    expect(bill.total).toBeCloseTo(143.02605, 6);
  });

  test('a resource type no rule prices is listed as not priced, by type and count, and left out of the total', () => {
    const template = withResources(smallTemplate, {
      Bastion: { Type: 'AWS::EC2::Instance' },
      Bastion2: { Type: 'AWS::EC2::Instance' },
    });
    const bill = priceTemplate(template, prices);
    expect(bill.notPriced).toEqual([
      { type: 'AWS::EC2::Instance', count: 2, reason: 'no price rule for this type' },
    ]);
    expect(bill.total).toBeCloseTo(143.02605, 6);
  });

  test('an instance class or a paid WAF group missing from the price table is not priced, not guessed', () => {
    const template = withResources(smallTemplate, {
      Database: {
        Type: 'AWS::RDS::DBInstance',
        Properties: {
          Engine: 'postgres',
          DBInstanceClass: 'db.r8g.48xlarge',
          AllocatedStorage: '20',
        },
      },
      BotAcl: {
        Type: 'AWS::WAFv2::WebACL',
        Properties: {
          Rules: [
            {
              Statement: {
                ManagedRuleGroupStatement: {
                  VendorName: 'AWS',
                  Name: 'AWSManagedRulesBotControlRuleSet',
                },
              },
            },
          ],
        },
      },
    });
    const reasons = priceTemplate(template, prices).notPriced.map((item) => item.reason);
    expect(reasons).toEqual([
      'BotAcl: the AWSManagedRulesBotControlRuleSet subscription and its request fees',
      'Database: no price for postgres db.r8g.48xlarge',
    ]);
  });

  test('a scaled service is priced at its scaling floor, so MinCapacity 0 costs nothing', () => {
    const template = withResources(smallTemplate, {
      ApiScaling: {
        Type: 'AWS::ApplicationAutoScaling::ScalableTarget',
        Properties: {
          MinCapacity: 0,
          MaxCapacity: 4,
          ScalableDimension: 'ecs:service:DesiredCount',
          ResourceId: {
            'Fn::Join': [
              '',
              ['service/', { Ref: 'Cluster' }, '/', { 'Fn::GetAtt': ['ApiService', 'Name'] }],
            ],
          },
        },
      },
    });
    const bill = priceTemplate(template, prices);
    expect(lineStarting(bill.lines, 'Fargate ApiService: 0 tasks × 0.25 vCPU').monthly).toBe(0);
    // 143.02605 − 14.7752 − 3.24485 (the two tasks' vCPU and memory) = 125.006
    expect(bill.total).toBeCloseTo(125.006, 6);
  });

  test('an ARM64 task definition is priced at the ARM rates', () => {
    const template = withResources(smallTemplate, {
      ApiTask: {
        Type: 'AWS::ECS::TaskDefinition',
        Properties: { Cpu: '256', Memory: '512', RuntimePlatform: { CpuArchitecture: 'ARM64' } },
      },
    });
    const lines = priceTemplate(template, prices).lines;
    // 2 × 0.25 vCPU × 730 h × 0.03238, and 2 × 0.5 GB × 730 h × 0.00356
    expect(
      lineStarting(lines, 'Fargate ApiService: 2 tasks × 0.25 vCPU (ARM)').monthly,
    ).toBeCloseTo(11.8187, 6);
    expect(lineStarting(lines, 'Fargate ApiService: 2 tasks × 0.5 GB').monthly).toBeCloseTo(
      2.5988,
      6,
    );
  });

  test('a daily scheduled task is priced at 730 / 24 runs of the stated run time', () => {
    const template = withResources(smallTemplate, {
      NightlyTask: {
        Type: 'AWS::ECS::TaskDefinition',
        Properties: { Cpu: '1024', Memory: '2048' },
      },
      Nightly: {
        Type: 'AWS::Scheduler::Schedule',
        Properties: {
          ScheduleExpression: 'rate(1 day)',
          Target: {
            Arn: { 'Fn::GetAtt': ['Cluster', 'Arn'] },
            EcsParameters: { TaskDefinitionArn: { Ref: 'NightlyTask' } },
          },
        },
      },
    });
    const lines = priceTemplate(template, prices).lines;
    // 30.4167 runs × 5 min = 2.53472 h of 1 vCPU × 0.04048, and of 2 GB × 0.004445
    expect(
      lineStarting(lines, 'Fargate NightlyTask: 30.4 runs × 5 min × 1 vCPU').monthly,
    ).toBeCloseTo(0.102606, 6);
    expect(
      lineStarting(lines, 'Fargate NightlyTask: 30.4 runs × 5 min × 2 GB').monthly,
    ).toBeCloseTo(0.022534, 6);
    expect(runsPerMonth('rate(15 minutes)', 730)).toBe(2920);
    expect(runsPerMonth('cron(0 3 * * ? *)', 730)).toBeUndefined();
  });

  test('a cron-scheduled task is priced per run, outside the monthly total', () => {
    const template = withResources(smallTemplate, {
      NightlyTask: {
        Type: 'AWS::ECS::TaskDefinition',
        Properties: { Cpu: '1024', Memory: '2048' },
      },
      Nightly: {
        Type: 'AWS::Scheduler::Schedule',
        Properties: {
          ScheduleExpression: 'cron(0 3 * * ? *)',
          Target: { EcsParameters: { TaskDefinitionArn: { Ref: 'NightlyTask' } } },
        },
      },
    });
    const bill = priceTemplate(template, prices);
    // one run: 5 min = 1/12 h × (1 vCPU × 0.04048 + 2 GB × 0.004445) = 0.00411417
    expect(bill.lines.find((line) => line.unit === 'run')).toMatchObject({
      basis: 'usage',
      monthly: 0,
    });
    expect(bill.lines.find((line) => line.unit === 'run')?.unitPrice).toBeCloseTo(0.00411417, 8);
    expect(bill.total).toBeCloseTo(143.02605, 6);
  });

  test('Container Insights bills the cluster, each running service and its task family as metrics', () => {
    const template = withResources(smallTemplate, {
      Cluster: {
        Type: 'AWS::ECS::Cluster',
        Properties: { ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }] },
      },
    });
    const line = lineStarting(
      priceTemplate(template, prices).lines,
      'Container Insights on Cluster',
    );
    // 12 (cluster) + 15 (ApiService) + 10 (ApiTask family) = 37 metrics × 0.30 = 11.10
    expect(line).toMatchObject({ quantity: 37 });
    expect(line.monthly).toBeCloseTo(11.1, 6);
    // with the free tier, 10 of them are free: 27 × 0.30 = 8.10
    const free = priceTemplate(template, prices, { freeTier: true });
    expect(lineStarting(free.lines, 'Container Insights on Cluster').monthly).toBeCloseTo(8.1, 6);
  });

  test("a function a rule runs every 5 minutes is billed at idle: 8,760 runs and their GB-seconds at its architecture's price", () => {
    const template = withResources(smallTemplate, {
      Check: {
        Type: 'AWS::Lambda::Function',
        Properties: { MemorySize: 256, Architectures: ['arm64'] },
      },
      CheckSchedule: {
        Type: 'AWS::Events::Rule',
        Properties: {
          ScheduleExpression: 'rate(5 minutes)',
          State: 'ENABLED',
          Targets: [{ Arn: { 'Fn::GetAtt': ['Check', 'Arn'] }, Id: 'Target0' }],
        },
      },
      OnChange: {
        Type: 'AWS::Events::Rule',
        Properties: {
          EventPattern: { source: ['aws.wafv2'] },
          Targets: [{ Arn: { 'Fn::GetAtt': ['Check', 'Arn'] }, Id: 'Target0' }],
        },
      },
    });
    const bill = priceTemplate(template, prices);
    expect(prices.assumptions.scheduledFunctionSecondsPerRun).toBe(1);
    expect(prices.prices.lambdaArmGbSecond.usd).toBe(0.0000133334);
    // 730 h × 12 runs an hour = 8,760 runs: 0.00876 M requests × 0.20 = 0.001752
    const requests = lineStarting(bill.lines, 'Lambda Check: 8,760 scheduled runs');
    expect(requests.quantity).toBeCloseTo(0.00876, 9);
    expect(requests.resources).toEqual(['CheckSchedule', 'Check']);
    // 8,760 × 0.25 GB × 1 s = 2,190 GB-s × 0.0000133334 = 0.029200146
    const compute = lineStarting(bill.lines, 'Lambda Check: 8,760 runs × 256 MB × 1 s (ARM)');
    expect(compute.quantity).toBeCloseTo(2190, 9);
    expect(compute.monthly).toBeCloseTo(0.029200146, 9);
    expect(bill.total).toBeCloseTo(143.02605 + 0.001752 + 0.029200146, 6);
    // the rule that matches WAF changes runs the check only when one happens
    expect(
      bill.lines.find((line) => line.item.startsWith('Lambda runs on matched events')),
    ).toMatchObject({ basis: 'usage', resources: ['OnChange'], monthly: 0 });
    expect(bill.notPriced).toEqual([]);
  });

  test('a disabled schedule runs nothing, and an x86 function is billed at the x86 price', () => {
    const template = withResources(smallTemplate, {
      Check: { Type: 'AWS::Lambda::Function', Properties: { MemorySize: 512 } },
      CheckSchedule: {
        Type: 'AWS::Events::Rule',
        Properties: {
          ScheduleExpression: 'rate(1 hour)',
          State: 'DISABLED',
          Targets: [{ Arn: { 'Fn::GetAtt': ['Check', 'Arn'] } }],
        },
      },
      Hourly: {
        Type: 'AWS::Events::Rule',
        Properties: {
          ScheduleExpression: 'rate(1 hour)',
          Targets: [{ Arn: { 'Fn::GetAtt': ['Check', 'Arn'] } }],
        },
      },
    });
    const bill = priceTemplate(template, prices);
    const disabled = bill.lines.filter((line) => line.resources.includes('CheckSchedule'));
    expect(disabled.map((line) => line.monthly)).toEqual([0, 0]);
    // 730 runs × 0.5 GB × 1 s = 365 GB-s × 0.0000166667 (x86)
    const hourly = lineStarting(bill.lines, 'Lambda Check: 730 runs × 512 MB × 1 s (x86)');
    expect(hourly.resources).toEqual(['Hourly', 'Check']);
    expect(hourly.monthly).toBeCloseTo(365 * 0.0000166667, 9);
  });

  test('a custom metric an alarm breaches on when missing is billed all month; one sent on events is usage', () => {
    const alarmOn = (metricName: string, treatMissingData: string) => ({
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        Namespace: 'CognitoUserSync',
        MetricName: metricName,
        Dimensions: [{ Name: 'service', Value: 'guard-watch' }],
        Period: 900,
        TreatMissingData: treatMissingData,
      },
    });
    const template = withResources(smallTemplate, {
      Weakened: alarmOn('GuardWeakened', 'breaching'),
      WeakenedAgain: alarmOn('GuardWeakened', 'breaching'),
      Fallbacks: alarmOn('RegistrationFallbacks', 'notBreaching'),
    });
    const bill = priceTemplate(template, prices);
    const continuous = lineStarting(
      bill.lines,
      'CloudWatch: 1 custom metric published every period',
    );
    expect(continuous).toMatchObject({
      quantity: 1,
      resources: ['Fallbacks', 'Weakened', 'WeakenedAgain'],
    });
    expect(continuous.monthly).toBeCloseTo(0.3, 9);
    expect(
      bill.lines.find((line) => line.item === 'CloudWatch: 1 custom metric published on events'),
    ).toMatchObject({ basis: 'usage', monthly: 0 });
    // 143.02605 + 3 more alarm metrics × 0.10 + the one custom metric × 0.30
    expect(bill.total).toBeCloseTo(143.02605 + 0.3 + 0.3, 6);
  });

  test("with the account's free tier, the first 3 dashboards and 10 alarm metrics cost nothing", () => {
    const bill = priceTemplate(smallTemplate, prices, { freeTier: true });
    expect(bill.freeTierDeducted).toBe(true);
    // 143.02605 − 3.00 (the dashboard) − 0.40 (the four alarm metrics)
    expect(bill.total).toBeCloseTo(139.62605, 6);
  });
});

describe('the price table', () => {
  test('cites a listed source for every price, with how it was checked', () => {
    for (const price of Object.values(prices.prices)) {
      expect(Object.keys(prices.sources)).toContain(price.source);
      expect(['confirmed', 'unconfirmed']).toContain(price.check);
    }
    expect(prices).toMatchObject({ region: 'eu-west-1', currency: 'USD' });
  });

  test('that cites a source it does not list is refused, naming the source', () => {
    const broken = structuredClone(prices) as { prices: { natGatewayHour: { source: string } } };
    broken.prices.natGatewayHour.source = 'nowhere';
    expect(() => parsePriceTable(broken)).toThrow(PriceTableError);
    expect(() => parsePriceTable(broken)).toThrow(/cites source "nowhere"/);
  });
});

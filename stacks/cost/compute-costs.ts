import {
  displayName,
  numberOf,
  referencedId,
  referencedIds,
  resourceById,
  resourcesOf,
  type CfnTemplate,
  type TemplateResource,
} from './cfn-template';
import {
  counted,
  idleLine,
  usageLine,
  type BillOptions,
  type CostLine,
  type CostRule,
  type NotPriced,
} from './cost-line';
import type { PriceTable } from './price-table';

/** What one Fargate task is billed for. */
interface TaskSize {
  vcpu: number;
  gb: number;
  arch: 'x86' | 'ARM';
  /** Ephemeral storage beyond the 20 GB every task gets. */
  extraStorageGb: number;
}

/** The task definition's size, or why it cannot be priced. */
function taskSize(taskDefinition: TemplateResource | undefined): TaskSize | string {
  if (taskDefinition === undefined) return 'a task definition outside the template';
  const { properties } = taskDefinition;
  const cpuUnits = numberOf(properties['Cpu']);
  const memoryMiB = numberOf(properties['Memory']);
  if (cpuUnits === undefined || memoryMiB === undefined) {
    return `${taskDefinition.logicalId}: no task-level Cpu and Memory`;
  }
  const platform = (properties['RuntimePlatform'] ?? {}) as {
    CpuArchitecture?: string;
    OperatingSystemFamily?: string;
  };
  if ((platform.OperatingSystemFamily ?? 'LINUX') !== 'LINUX') {
    return `${taskDefinition.logicalId}: ${platform.OperatingSystemFamily} tasks`;
  }
  const storage = properties['EphemeralStorage'] as { SizeInGiB?: unknown } | undefined;
  const storageGb = numberOf(storage?.SizeInGiB) ?? 20;
  return {
    vcpu: cpuUnits / 1024,
    gb: memoryMiB / 1024,
    arch: platform.CpuArchitecture === 'ARM64' ? 'ARM' : 'x86',
    extraStorageGb: Math.max(0, storageGb - 20),
  };
}

/** vCPU, memory and extra storage lines for `taskHours` hours of tasks of one size. */
function fargateLines(
  label: string,
  taskHours: number,
  size: TaskSize,
  prices: PriceTable,
  resources: string[],
  note?: string,
): CostLine[] {
  const arm = size.arch === 'ARM';
  const lines = [
    idleLine(
      `${label} × ${size.vcpu} vCPU (${size.arch})`,
      taskHours * size.vcpu,
      arm ? prices.prices.fargateArmVcpuHour : prices.prices.fargateX86VcpuHour,
      resources,
      note,
    ),
    idleLine(
      `${label} × ${size.gb} GB`,
      taskHours * size.gb,
      arm ? prices.prices.fargateArmGbHour : prices.prices.fargateX86GbHour,
      resources,
    ),
  ];
  if (size.extraStorageGb > 0) {
    lines.push(
      idleLine(
        `${label} × ${size.extraStorageGb} GB ephemeral storage beyond 20 GB`,
        taskHours * size.extraStorageGb,
        prices.prices.fargateEphemeralGbHour,
        resources,
      ),
    );
  }
  return lines;
}

const MINUTES_PER_UNIT: Record<string, number> = { minute: 1, hour: 60, day: 1440 };

/** Runs a month of a `rate(…)` schedule; undefined for `cron(…)` and `at(…)`. */
export function runsPerMonth(expression: string, hoursPerMonth: number): number | undefined {
  const rate = /^rate\(\s*(\d+)\s+(minute|hour|day)s?\s*\)$/.exec(expression.trim());
  const every = rate && Number(rate[1]) * (MINUTES_PER_UNIT[rate[2] ?? ''] ?? Number.NaN);
  if (!every) return undefined;
  return (hoursPerMonth * 60) / every;
}

/** How many tasks a service keeps running with no work: the scaling floor, else DesiredCount. */
function idleTaskCount(
  template: CfnTemplate,
  service: TemplateResource,
): { tasks: number; note: string } {
  const scalingTarget = resourcesOf(template, 'AWS::ApplicationAutoScaling::ScalableTarget').find(
    (target) =>
      target.properties['ScalableDimension'] === 'ecs:service:DesiredCount' &&
      referencedIds(target.properties['ResourceId']).has(service.logicalId),
  );
  const minimum = numberOf(scalingTarget?.properties['MinCapacity']);
  if (scalingTarget !== undefined && minimum !== undefined) {
    const maximum = numberOf(scalingTarget.properties['MaxCapacity']);
    return {
      tasks: minimum,
      note: `the scaling floor (MinCapacity); up to ${maximum ?? '?'} tasks under load`,
    };
  }
  const desired = numberOf(service.properties['DesiredCount']);
  return desired === undefined
    ? { tasks: 1, note: 'no DesiredCount: ECS starts 1' }
    : { tasks: desired, note: 'DesiredCount' };
}

/** FARGATE by launch type or by an all-FARGATE capacity provider strategy. */
function isFargateOnDemand(service: TemplateResource): boolean {
  const launchType = service.properties['LaunchType'];
  if (launchType !== undefined) return launchType === 'FARGATE';
  const strategy = service.properties['CapacityProviderStrategy'];
  return (
    Array.isArray(strategy) &&
    strategy.length > 0 &&
    strategy.every(
      (item) => (item as { CapacityProvider?: unknown }).CapacityProvider === 'FARGATE',
    )
  );
}

/** A cluster's Container Insights setting: `enabled`, `enhanced` or `disabled`. */
function containerInsights(cluster: TemplateResource): string {
  const settings = (cluster.properties['ClusterSettings'] ?? []) as {
    Name?: string;
    Value?: string;
  }[];
  return settings.find((setting) => setting.Name === 'containerInsights')?.Value ?? 'disabled';
}

/** Per cluster: the services and task families that publish Container Insights metrics. */
interface InsightsUsage {
  services: number;
  families: Set<string>;
  /** Share of the month scheduled task families publish (metrics are billed by the hour). */
  scheduledFamilyShare: number;
  resources: string[];
}

/**
 * Fargate tasks by vCPU-hour and GB-hour, x86 or ARM as the task definition's runtime platform
 * says: each service at the count it keeps with an empty queue, each scheduled task at the runs
 * its `rate(…)` gives × the price table's stated run time. Container Insights metrics are billed
 * as custom metrics while tasks run.
 */
export const computeCosts: CostRule = {
  types: [
    'AWS::ECS::Service',
    'AWS::ECS::TaskDefinition',
    'AWS::ECS::Cluster',
    'AWS::ApplicationAutoScaling::ScalableTarget',
    'AWS::Scheduler::Schedule',
  ],
  price(template, prices, options: BillOptions) {
    const hours = prices.hoursPerMonth;
    const lines: CostLine[] = [];
    const notPriced: NotPriced[] = [];
    const insights = new Map<string, InsightsUsage>();
    const usageOf = (clusterId: string | undefined): InsightsUsage => {
      const key = clusterId ?? '';
      const usage = insights.get(key) ?? {
        services: 0,
        families: new Set<string>(),
        scheduledFamilyShare: 0,
        resources: [],
      };
      insights.set(key, usage);
      return usage;
    };

    for (const service of resourcesOf(template, 'AWS::ECS::Service')) {
      const taskDefinition = resourceById(
        template,
        referencedId(service.properties['TaskDefinition']),
      );
      const size = taskSize(taskDefinition);
      if (!isFargateOnDemand(service) || typeof size === 'string') {
        notPriced.push({
          type: service.type,
          count: 1,
          reason: `${service.logicalId}: ${typeof size === 'string' ? size : 'not Fargate on-demand'}`,
        });
        continue;
      }
      const { tasks, note } = idleTaskCount(template, service);
      const resources = [service.logicalId, ...(taskDefinition ? [taskDefinition.logicalId] : [])];
      const label = `Fargate ${displayName(service.logicalId)}: ${counted(tasks, 'task')}`;
      lines.push(...fargateLines(label, tasks * hours, size, prices, resources, note));
      const network = service.properties['NetworkConfiguration'] as
        { AwsvpcConfiguration?: { AssignPublicIp?: string } } | undefined;
      if (network?.AwsvpcConfiguration?.AssignPublicIp === 'ENABLED') {
        lines.push(
          idleLine(
            `Public IPv4: ${displayName(service.logicalId)}, one per task`,
            tasks * hours,
            prices.prices.publicIpv4Hour,
            [service.logicalId],
          ),
        );
      }
      if (tasks > 0) {
        const usage = usageOf(referencedId(service.properties['Cluster']));
        usage.services += 1;
        usage.families.add(taskDefinition?.logicalId ?? service.logicalId);
        usage.resources.push(service.logicalId);
      }
    }

    const minutesPerRun = prices.assumptions.scheduledTaskMinutesPerRun;
    const schedules = resourcesOf(template, 'AWS::Scheduler::Schedule');
    for (const schedule of schedules) {
      const target = schedule.properties['Target'] as
        | { Arn?: unknown; EcsParameters?: { TaskDefinitionArn?: unknown; TaskCount?: unknown } }
        | undefined;
      if (target?.EcsParameters === undefined) continue;
      const taskDefinition = resourceById(
        template,
        referencedId(target.EcsParameters.TaskDefinitionArn),
      );
      const size = taskSize(taskDefinition);
      if (typeof size === 'string') {
        notPriced.push({ type: schedule.type, count: 1, reason: `${schedule.logicalId}: ${size}` });
        continue;
      }
      const taskCount = numberOf(target.EcsParameters.TaskCount) ?? 1;
      const expression = String(schedule.properties['ScheduleExpression'] ?? '');
      const enabled = (schedule.properties['State'] ?? 'ENABLED') === 'ENABLED';
      const runs = enabled ? runsPerMonth(expression, hours) : 0;
      const name = displayName(taskDefinition?.logicalId ?? schedule.logicalId);
      const resources = [schedule.logicalId, ...(taskDefinition ? [taskDefinition.logicalId] : [])];
      if (runs === undefined) {
        const runHours = (taskCount * minutesPerRun) / 60;
        const perRun = fargateLines('', runHours, size, prices, []).reduce(
          (sum, line) => sum + line.monthly,
          0,
        );
        lines.push({
          item: `Fargate ${name}: one run of ${minutesPerRun} min (${expression})`,
          quantity: 0,
          unit: 'run',
          unitPrice: perRun,
          monthly: 0,
          basis: 'usage',
          resources,
          note: 'a cron or one-time schedule: priced per run, not per month',
        });
        continue;
      }
      const label = `Fargate ${name}: ${Number(runs.toFixed(1))} runs × ${minutesPerRun} min`;
      const note = `${expression}${enabled ? '' : ' (disabled)'}; ${minutesPerRun} min a run is the price table's assumption`;
      lines.push(
        ...fargateLines(
          label,
          (runs * taskCount * minutesPerRun) / 60,
          size,
          prices,
          resources,
          note,
        ),
      );
      if (runs > 0) {
        const usage = usageOf(referencedId(target.Arn));
        usage.scheduledFamilyShare += Math.min(1, (runs * Math.ceil(minutesPerRun / 60)) / hours);
        usage.resources.push(schedule.logicalId);
      }
    }
    if (schedules.length > 0) {
      lines.push(
        usageLine(
          `EventBridge Scheduler invocations (${counted(schedules.length, 'schedule')})`,
          prices.prices.schedulerInvocationsMillion,
          schedules.map((schedule) => schedule.logicalId),
          'idle ≈ 0: 14 million a month are free',
        ),
      );
    }

    const counts = prices.assumptions.containerInsightsMetrics;
    let freeMetrics = options.freeTier ? prices.freeTier.customMetrics : 0;
    for (const cluster of resourcesOf(template, 'AWS::ECS::Cluster')) {
      const setting = containerInsights(cluster);
      if (setting === 'disabled') continue;
      if (setting !== 'enabled') {
        notPriced.push({
          type: cluster.type,
          count: 1,
          reason: `${cluster.logicalId}: Container Insights "${setting}" (priced per observation)`,
        });
        continue;
      }
      const usage = usageOf(cluster.logicalId);
      const clusterShare = usage.services > 0 ? 1 : Math.min(1, usage.scheduledFamilyShare);
      const metrics =
        counts.perCluster * clusterShare +
        counts.perService * usage.services +
        counts.perTaskFamily * (usage.families.size + usage.scheduledFamilyShare);
      const billed = Math.max(0, metrics - freeMetrics);
      freeMetrics -= metrics - billed;
      const name = displayName(cluster.logicalId);
      lines.push(
        idleLine(
          `Container Insights on ${name}: ${counted(usage.services, 'service')}, ${counted(usage.families.size, 'task family', 'task families')} running`,
          billed,
          prices.prices.customMetricMonth,
          [cluster.logicalId, ...usage.resources],
          `≈${counts.perCluster} metrics per cluster, ${counts.perService} per service, ${counts.perTaskFamily} per task family (approximate); scheduled families by the hours they run` +
            (billed < metrics ? '; free tier deducted' : ''),
        ),
        usageLine(
          `Container Insights performance events of ${name}`,
          prices.prices.logsIngestionGb,
          [cluster.logicalId],
          'log ingestion of per-task performance events: continuous while tasks run, not estimated',
        ),
      );
    }
    return { lines, notPriced };
  },
};

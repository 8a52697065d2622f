import { numberOf, resourcesOf, type TemplateResource } from './cfn-template';
import { counted, idleLine, usageLine, type CostLine, type CostRule } from './cost-line';

interface MetricDataQuery {
  Expression?: string;
  MetricStat?: { Period?: unknown; Metric?: AlarmMetric };
}

interface AlarmMetric {
  Namespace?: unknown;
  MetricName?: unknown;
  Dimensions?: unknown;
}

/** The metrics an alarm reads that the stack's own code publishes (not an `AWS/…` namespace). */
function customMetricsRead(alarm: TemplateResource): string[] {
  const queries = alarm.properties['Metrics'] as MetricDataQuery[] | undefined;
  const metrics: AlarmMetric[] = Array.isArray(queries)
    ? queries.flatMap((query) => (query.MetricStat?.Metric ? [query.MetricStat.Metric] : []))
    : [
        {
          Namespace: alarm.properties['Namespace'],
          MetricName: alarm.properties['MetricName'],
          Dimensions: alarm.properties['Dimensions'],
        },
      ];
  return metrics
    .filter(
      (metric) => typeof metric.Namespace === 'string' && !metric.Namespace.startsWith('AWS/'),
    )
    .map((metric) =>
      JSON.stringify([metric.Namespace, metric.MetricName, metric.Dimensions ?? []]),
    );
}

/**
 * The alarm metrics an alarm is billed for, by resolution: one per metric it reads (a metric-math
 * alarm bills each metric of the expression), three for an anomaly-detection band; high
 * resolution when the period is under a minute.
 */
function alarmMetrics(alarm: TemplateResource): { standard: number; highRes: number } {
  const queries = alarm.properties['Metrics'] as MetricDataQuery[] | undefined;
  if (!Array.isArray(queries)) {
    const highRes = (numberOf(alarm.properties['Period']) ?? 60) < 60;
    return highRes ? { standard: 0, highRes: 1 } : { standard: 1, highRes: 0 };
  }
  const anomalyBand = queries.some((query) => query.Expression?.includes('ANOMALY_DETECTION_BAND'));
  const tally = { standard: 0, highRes: 0 };
  for (const query of queries) {
    if (query.MetricStat === undefined) continue;
    const weight = anomalyBand ? 3 : 1;
    if ((numberOf(query.MetricStat.Period) ?? 60) < 60) tally.highRes += weight;
    else tally.standard += weight;
  }
  return tally;
}

/**
 * CloudWatch dashboards and alarm metrics by the month (the alarms target tracking creates
 * included); log groups, flow logs and WAF logs bill ingestion and storage only, which an idle
 * stack keeps small, so they are usage lines at the per-GB price.
 */
export const monitoringCosts: CostRule = {
  types: [
    'AWS::CloudWatch::Dashboard',
    'AWS::CloudWatch::Alarm',
    'AWS::ApplicationAutoScaling::ScalingPolicy',
    'AWS::Logs::LogGroup',
    'AWS::EC2::FlowLog',
    'AWS::WAFv2::LoggingConfiguration',
  ],
  price(template, prices, options) {
    const lines: CostLine[] = [];
    const freeTier = options.freeTier ? prices.freeTier : undefined;

    const dashboards = resourcesOf(template, 'AWS::CloudWatch::Dashboard');
    if (dashboards.length > 0) {
      const billed = Math.max(0, dashboards.length - (freeTier?.dashboards ?? 0));
      lines.push(
        idleLine(
          `CloudWatch: ${counted(dashboards.length, 'dashboard')}`,
          billed,
          prices.prices.dashboardMonth,
          dashboards.map((dashboard) => dashboard.logicalId),
          freeTier ? `the account's ${freeTier.dashboards} free dashboards deducted` : undefined,
        ),
      );
    }

    const alarms = resourcesOf(template, 'AWS::CloudWatch::Alarm');
    const targetTracking = resourcesOf(
      template,
      'AWS::ApplicationAutoScaling::ScalingPolicy',
    ).filter((policy) => policy.properties['PolicyType'] === 'TargetTrackingScaling');
    const tally = alarms.map(alarmMetrics).reduce(
      (sum, metrics) => ({
        standard: sum.standard + metrics.standard,
        highRes: sum.highRes + metrics.highRes,
      }),
      // Target tracking keeps two alarms (scale out, scale in) per policy, outside the template.
      { standard: 2 * targetTracking.length, highRes: 0 },
    );
    const alarmIds = [...alarms, ...targetTracking].map((resource) => resource.logicalId);
    if (alarmIds.length > 0) {
      const billed = Math.max(0, tally.standard - (freeTier?.alarmMetrics ?? 0));
      const created =
        targetTracking.length > 0 ? ` + ${2 * targetTracking.length} of target tracking` : '';
      lines.push(
        idleLine(
          `CloudWatch: ${counted(alarms.length, 'alarm')}${created}, ${counted(tally.standard, 'metric')} read`,
          billed,
          prices.prices.alarmMetricMonth,
          alarmIds,
          freeTier
            ? `the account's ${freeTier.alarmMetrics} free alarm metrics deducted`
            : undefined,
        ),
      );
      if (tally.highRes > 0) {
        lines.push(
          idleLine(
            `CloudWatch: high-resolution alarm metrics`,
            tally.highRes,
            prices.prices.alarmMetricHighResMonth,
            alarmIds,
          ),
        );
      }
    }

    // Custom metrics bill by the hours they are published. One an alarm treats as breaching when
    // missing must arrive every period, so it is billed the whole month; the others are
    // published when something happens (a fallback, a reconcile run).
    const continuous = new Set<string>();
    const onEvents = new Set<string>();
    const customAlarmIds: string[] = [];
    for (const alarm of alarms) {
      const read = customMetricsRead(alarm);
      if (read.length === 0) continue;
      customAlarmIds.push(alarm.logicalId);
      const breaching = alarm.properties['TreatMissingData'] === 'breaching';
      for (const metric of read) (breaching ? continuous : onEvents).add(metric);
    }
    for (const metric of continuous) onEvents.delete(metric);
    if (continuous.size > 0) {
      lines.push(
        idleLine(
          `CloudWatch: ${counted(continuous.size, 'custom metric')} published every period`,
          continuous.size,
          prices.prices.customMetricMonth,
          customAlarmIds,
          'an alarm breaches when it is missing, so it is sent all month; the free tier, if deducted, went to Container Insights',
        ),
      );
    }
    if (onEvents.size > 0) {
      lines.push(
        usageLine(
          `CloudWatch: ${counted(onEvents.size, 'custom metric')} published on events`,
          prices.prices.customMetricMonth,
          customAlarmIds,
          'billed for the hours in which one is sent (a fallback, a reconcile run)',
        ),
      );
    }

    const logGroups = resourcesOf(template, 'AWS::Logs::LogGroup');
    const flowLogs = resourcesOf(template, 'AWS::EC2::FlowLog');
    const wafLogs = resourcesOf(template, 'AWS::WAFv2::LoggingConfiguration');
    // RDS creates its own log groups for the exported logs (CDK sets their retention).
    const rdsExports = resourcesOf(template, 'AWS::RDS::DBInstance').reduce((sum, database) => {
      const exported = database.properties['EnableCloudwatchLogsExports'];
      return sum + (Array.isArray(exported) ? exported.length : 0);
    }, 0);
    const logIds = [...logGroups, ...flowLogs, ...wafLogs].map((resource) => resource.logicalId);
    if (logIds.length > 0 || rdsExports > 0) {
      const sources = [
        counted(logGroups.length, 'log group'),
        ...(rdsExports > 0 ? [counted(rdsExports, 'RDS log export')] : []),
        ...(flowLogs.length > 0 ? [counted(flowLogs.length, 'VPC flow log')] : []),
        ...(wafLogs.length > 0 ? ['WAF logs'] : []),
      ].join(', ');
      lines.push(
        usageLine(
          `CloudWatch Logs ingestion: ${sources}`,
          prices.prices.logsIngestionGb,
          logIds,
          'what the services, flow logs and WAF write; flow logs record some traffic even at idle (health checks, polling)',
        ),
        usageLine(
          'CloudWatch Logs storage',
          prices.prices.logsStorageGbMonth,
          logGroups.map((group) => group.logicalId),
          'kept for each group\u2019s retention',
        ),
      );
    }
    return { lines };
  },
};

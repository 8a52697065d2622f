import { displayName, numberOf, resourcesOf } from './cfn-template';
import { idleLine, usageLine, type CostLine, type CostRule, type NotPriced } from './cost-line';
import type { PriceTable, UnitPrice } from './price-table';

function storagePrice(prices: PriceTable, storageType: string): UnitPrice | undefined {
  if (storageType === 'gp3') return prices.prices.rdsGp3GbMonth;
  if (storageType === 'gp2') return prices.prices.rdsGp2GbMonth;
  return undefined;
}

/**
 * RDS instances by class and hour, their storage by GB-month; Multi-AZ bills a standby instance
 * and a second copy of the storage. Automated backups up to the provisioned size are free.
 */
export const databaseCosts: CostRule = {
  types: ['AWS::RDS::DBInstance'],
  price(template, prices) {
    const hours = prices.hoursPerMonth;
    const lines: CostLine[] = [];
    const notPriced: NotPriced[] = [];

    for (const database of resourcesOf(template, 'AWS::RDS::DBInstance')) {
      const { properties, logicalId } = database;
      const skip = (reason: string): void => {
        notPriced.push({ type: database.type, count: 1, reason: `${logicalId}: ${reason}` });
      };
      if (properties['DBClusterIdentifier'] !== undefined) {
        skip('an Aurora cluster member');
        continue;
      }
      const engine = String(properties['Engine'] ?? '');
      const instanceClass = String(properties['DBInstanceClass'] ?? '');
      const instancePrice = prices.rdsInstanceHours[engine]?.[instanceClass];
      const allocatedGb = numberOf(properties['AllocatedStorage']);
      // CloudFormation's default: gp2, or io1 when Iops is set.
      const storageType = String(
        properties['StorageType'] ?? (properties['Iops'] === undefined ? 'gp2' : 'io1'),
      );
      const perGbMonth = storagePrice(prices, storageType);
      if (instancePrice === undefined) {
        skip(`no price for ${engine || '(no engine)'} ${instanceClass || '(no class)'}`);
        continue;
      }
      const multiAz = properties['MultiAZ'] === true || properties['MultiAZ'] === 'true';
      const copies = multiAz ? 2 : 1;
      const name = displayName(logicalId);
      const deployment = multiAz ? 'Multi-AZ (primary and standby)' : 'Single-AZ';
      lines.push(
        idleLine(
          `RDS ${name}: ${instanceClass} ${engine}, ${deployment}`,
          copies * hours,
          instancePrice,
          [logicalId],
          instanceClass.startsWith('db.t')
            ? 'burstable: CPU credits beyond the baseline are charged on top (not priced)'
            : undefined,
        ),
      );
      if (allocatedGb === undefined || perGbMonth === undefined) {
        skip(`storage ${storageType} of ${String(properties['AllocatedStorage'] ?? '?')} GB`);
      } else {
        const autoscaling = numberOf(properties['MaxAllocatedStorage']);
        lines.push(
          idleLine(
            `RDS ${name}: ${allocatedGb} GB ${storageType}${multiAz ? ' × 2 copies' : ''}`,
            allocatedGb * copies,
            perGbMonth,
            [logicalId],
            autoscaling === undefined
              ? undefined
              : `storage autoscaling may grow it to ${autoscaling} GB`,
          ),
        );
      }
      if (properties['Iops'] !== undefined || properties['StorageThroughput'] !== undefined) {
        skip('provisioned IOPS or throughput');
      }
      const retentionDays = numberOf(properties['BackupRetentionPeriod']) ?? 1;
      if (retentionDays > 0) {
        lines.push(
          usageLine(
            `RDS ${name}: backups beyond the free allowance (${retentionDays} days kept)`,
            prices.prices.rdsBackupGbMonth,
            [logicalId],
            'free up to the provisioned storage; an idle database stays within it',
          ),
        );
      }
    }
    return { lines, notPriced };
  },
};

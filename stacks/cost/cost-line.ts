import type { CfnTemplate } from './cfn-template';
import type { PriceTable, UnitPrice } from './price-table';

/**
 * One line of the bill. `idle` lines are charged whether or not anything happens (hours a
 * gateway exists, tasks kept running, a key kept); `usage` lines are charged per use, so their
 * quantity and monthly figure are 0 at idle and the unit price says what use would cost.
 */
export interface CostLine {
  item: string;
  quantity: number;
  unit: string;
  /** In the price table's currency, per `unit`. */
  unitPrice: number;
  /** quantity × unitPrice, unrounded. */
  monthly: number;
  basis: 'idle' | 'usage';
  /** Logical IDs of the resources behind the line. */
  resources: string[];
  /** How the quantity was found, or what it leaves out. */
  note?: string;
}

/** Something in the template whose cost the calculator cannot give. */
export interface NotPriced {
  type: string;
  count: number;
  reason: string;
}

/** Options that change what the bill counts. */
export interface BillOptions {
  /** Deduct the account-wide CloudWatch free tier (3 dashboards, 10 alarm metrics, 10 metrics). */
  freeTier?: boolean;
}

/**
 * Prices one concern of a template (the network, the compute, …). `types` are the resource types
 * whose cost the rule accounts for, fully or as usage lines: the bill reports any type that no
 * rule claims and that is not declared free, so nothing in a template is silently left out.
 */
export interface CostRule {
  readonly types: readonly string[];
  price(template: CfnTemplate, prices: PriceTable, options: BillOptions): RuleResult;
}

export interface RuleResult {
  lines: CostLine[];
  notPriced?: NotPriced[];
}

/** A line charged at idle: `quantity` units of `price`. */
export function idleLine(
  item: string,
  quantity: number,
  price: UnitPrice,
  resources: string[],
  note?: string,
): CostLine {
  return {
    item,
    quantity,
    unit: price.unit,
    unitPrice: price.usd,
    monthly: quantity * price.usd,
    basis: 'idle',
    resources,
    ...(note === undefined ? {} : { note }),
  };
}

/** A line charged only by use: 0 at idle, with the unit price that use would be billed at. */
export function usageLine(
  item: string,
  price: UnitPrice,
  resources: string[],
  note?: string,
): CostLine {
  return { ...idleLine(item, 0, price, resources, note), basis: 'usage' };
}

/** "1 NAT gateway", "2 NAT gateways". */
export function counted(count: number, singular: string, plural = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : plural}`;
}

import type { CfnTemplate } from './cfn-template';
import { computeCosts } from './compute-costs';
import type { BillOptions, CostLine, CostRule, NotPriced } from './cost-line';
import { databaseCosts } from './database-costs';
import { edgeCosts } from './edge-costs';
import { freeReason } from './free-resources';
import { monitoringCosts } from './monitoring-costs';
import { networkCosts } from './network-costs';
import { scheduledFunctionCosts } from './scheduled-function-costs';
import type { PriceTable } from './price-table';
import { securityCosts } from './security-costs';
import { usageCosts } from './usage-costs';

/** Every rule, in the order their lines appear on the bill. */
export const COST_RULES: readonly CostRule[] = [
  networkCosts,
  edgeCosts,
  computeCosts,
  databaseCosts,
  securityCosts,
  monitoringCosts,
  scheduledFunctionCosts,
  usageCosts,
];

export interface FreeResources {
  type: string;
  count: number;
  reason: string;
}

/** The idle monthly bill of what a template creates. */
export interface Bill {
  region: string;
  currency: string;
  /** The price table's date. */
  retrieved: string;
  hoursPerMonth: number;
  freeTierDeducted: boolean;
  lines: CostLine[];
  /** Sum of the lines, unrounded (usage lines add 0). */
  total: number;
  free: FreeResources[];
  /** Resources (or parts of them) the calculator has no price for: the total leaves them out. */
  notPriced: NotPriced[];
}

/** The resource types a rule accounts for. */
export function pricedTypes(): Set<string> {
  return new Set(COST_RULES.flatMap((rule) => rule.types));
}

/**
 * Prices a synthesized template at idle with the given price table. Every resource type in the
 * template ends up in exactly one place: a rule's lines, the free list, or the not-priced list.
 */
export function priceTemplate(
  template: CfnTemplate,
  prices: PriceTable,
  options: BillOptions = {},
): Bill {
  const lines: CostLine[] = [];
  const notPriced: NotPriced[] = [];
  for (const rule of COST_RULES) {
    const result = rule.price(template, prices, options);
    lines.push(...result.lines);
    notPriced.push(...(result.notPriced ?? []));
  }

  const counts = new Map<string, number>();
  for (const resource of Object.values(template.Resources)) {
    counts.set(resource.Type, (counts.get(resource.Type) ?? 0) + 1);
  }
  const priced = pricedTypes();
  const free: FreeResources[] = [];
  for (const [type, count] of [...counts].sort(([a], [b]) => a.localeCompare(b))) {
    if (priced.has(type)) continue;
    const reason = freeReason(type);
    if (reason === undefined)
      notPriced.push({ type, count, reason: 'no price rule for this type' });
    else free.push({ type, count, reason });
  }

  return {
    region: prices.region,
    currency: prices.currency,
    retrieved: prices.retrieved,
    hoursPerMonth: prices.hoursPerMonth,
    freeTierDeducted: options.freeTier ?? false,
    lines,
    total: lines.reduce((sum, line) => sum + line.monthly, 0),
    free,
    notPriced,
  };
}

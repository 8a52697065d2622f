import type { Bill } from './price-template';

const quantityText = (value: number): string =>
  value.toLocaleString('en-US', { maximumFractionDigits: 2 });
const priceText = (value: number): string =>
  value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 10 });
const moneyText = (value: number): string =>
  value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** Left-aligned columns but the numeric ones, which are right-aligned. */
function table(rows: string[][], rightAligned: ReadonlySet<number>): string[] {
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return rows.map((row) =>
    row
      .map((cell, column) => {
        const width = widths[column] ?? 0;
        return rightAligned.has(column) ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd(),
  );
}

/**
 * The bill as text: the idle lines with their quantities and the total, then the usage-only
 * lines (their unit price; nothing at idle), the free resources and whatever is not priced.
 */
export function formatBill(title: string, bill: Bill): string {
  const idle = bill.lines.filter((line) => line.basis === 'idle');
  const usage = bill.lines.filter((line) => line.basis === 'usage');
  const header = [
    `${title}: idle monthly cost in ${bill.region}, ${bill.currency}, prices of ${bill.retrieved}, ` +
      `${bill.hoursPerMonth} hours a month${bill.freeTierDeducted ? ', account free tier deducted' : ''}`,
    '',
  ];

  const idleRows: string[][] = [['item', 'quantity', 'unit', 'unit price', 'monthly']];
  for (const line of idle) {
    idleRows.push([
      line.item,
      quantityText(line.quantity),
      line.unit,
      priceText(line.unitPrice),
      moneyText(line.monthly),
    ]);
  }
  idleRows.push(['total', '', '', '', moneyText(bill.total)]);
  // Each line's note goes under it, outside the columns (notes would widen the first one).
  const idleText = table(idleRows, new Set([1, 3, 4])).flatMap((row, index) => {
    const note = idle[index - 1]?.note;
    return note === undefined ? [row] : [row, `  · ${note}`];
  });

  const usageRows: string[][] = [['billed by use (0 at idle)', 'unit', 'unit price', 'note']];
  for (const line of usage) {
    usageRows.push([line.item, line.unit, priceText(line.unitPrice), line.note ?? '']);
  }

  const freeText = bill.free.map((free) => `${free.count} ${free.type}`).join(', ') || 'none';
  const notPricedText =
    bill.notPriced.length === 0
      ? ['not priced: none']
      : [
          'NOT PRICED (left out of the total):',
          ...bill.notPriced.map((item) => `  ${item.count} ${item.type}: ${item.reason}`),
        ];

  return [
    ...header,
    ...idleText,
    '',
    ...(usage.length > 0 ? [...table(usageRows, new Set([2])), ''] : []),
    `free: ${freeText}`,
    ...notPricedText,
  ].join('\n');
}

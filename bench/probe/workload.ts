/**
 * The unit of work of the probe benchmarks: one API response rendered from freshly allocated
 * objects. It makes the kind of garbage (and so the kind of GC traffic) a real API does. Shared by
 * the HTTP workload server and the GC-observer cost worker so both make garbage at the same rate.
 */
interface Item {
  id: number;
  name: string;
  price: number;
  tags: string[];
}

export function render(n: number): string {
  const items: Item[] = [];
  for (let i = 0; i < 20; i++) {
    const id = (n * 31 + i) % 10_007;
    items.push({ id, name: `item-${id}`, price: Math.round(Math.sqrt(id) * 100) / 100, tags: [`t${id % 13}`, `c${i}`] });
  }
  items.sort((a, b) => a.price - b.price);
  return JSON.stringify({ page: n % 100, total: items.reduce((sum, item) => sum + item.price, 0), items });
}

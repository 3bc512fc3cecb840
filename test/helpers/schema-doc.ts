/**
 * Reads docs/schema.md the way its test needs it: the ```sql blocks (each titled by its first
 * `-- ` comment line, with the columns the text after it promises), and the per-table sections
 * (`### \`table\``) with their column rows and the sort key, partition key and TTL they state.
 */

export interface DocQuery {
  title: string;
  sql: string;
  /** From the `Columns: `a`, `b`` line after the block (before the next block); null when absent. */
  columns: string[] | null;
  /** Query parameter names (`{name:Type}`) the SQL uses. */
  params: string[];
}

export interface DocTable {
  name: string;
  columns: Map<string, string>;
  /** The text of `ORDER BY (...)` as stated, without the parentheses; null when not stated. */
  orderBy: string | null;
  /** The text after `PARTITION BY `; null when the section says "no partitions". */
  partitionBy: string | null;
  /** The column of "TTL on `column`"; null when the section says "no TTL". */
  ttlColumn: string | null;
}

const FENCE = /^```(\w*)\s*$/;

export function docQueries(markdown: string): DocQuery[] {
  const lines = markdown.split('\n');
  const out: DocQuery[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]);
    if (!open) continue;
    let j = i + 1;
    while (j < lines.length && !FENCE.test(lines[j])) j++;
    if (open[1] === 'sql') {
      const body = lines.slice(i + 1, j);
      const title = /^--\s*(.+)$/.exec(body[0] ?? '')?.[1]?.trim() ?? '';
      let columns: string[] | null = null;
      for (let k = j + 1; k < lines.length && !FENCE.test(lines[k]); k++) {
        const m = /^Columns:\s*(.+?)\.?\s*$/.exec(lines[k]);
        if (m) {
          columns = [...m[1].matchAll(/`([^`]+)`/g)].map((c) => c[1]);
          break;
        }
      }
      const sql = body.join('\n');
      const params = [...new Set([...sql.matchAll(/\{(\w+):[^}]+\}/g)].map((m) => m[1]))];
      out.push({ title, sql, columns, params });
    }
    i = j;
  }
  return out;
}

export function docTables(markdown: string): Map<string, DocTable> {
  const tables = new Map<string, DocTable>();
  let current: DocTable | null = null;
  for (const line of markdown.split('\n')) {
    const heading = /^(#{2,3})\s+(.*)$/.exec(line);
    if (heading) {
      const name = heading[1] === '###' ? /^`(\w+)`\s*$/.exec(heading[2])?.[1] : undefined;
      current = name ? { name, columns: new Map(), orderBy: null, partitionBy: null, ttlColumn: null } : null;
      if (current) tables.set(current.name, current);
      continue;
    }
    if (!current) continue;
    const row = /^\|\s*`(\w+)`\s*\|\s*([^|]+?)\s*\|/.exec(line);
    if (row) current.columns.set(row[1], row[2]);
    const order = /`ORDER BY \(([^)]*)\)`/.exec(line);
    if (order) current.orderBy = order[1];
    const partition = /`PARTITION BY ([^`]+)`/.exec(line);
    if (partition) current.partitionBy = partition[1];
    const ttl = /TTL on `(\w+)`/.exec(line);
    if (ttl) current.ttlColumn = ttl[1];
  }
  return tables;
}

/**
 * The part of Grafana's query interpolation that the leakwatch dashboard uses, so its queries can
 * be run against the real engine as Grafana would send them:
 *
 * - template variables `${name}` / `$name` (inserted as is, as Grafana does for a single value)
 *   and `${name:singlequote}` (wrapped in single quotes, `'` escaped as `\'`, Grafana's
 *   `singlequote` format);
 * - the ClickHouse plugin's macros, expanded as its backend does (grafana/clickhouse-datasource,
 *   pkg/macros/macros.go): `$__timeFilter(col)`, `$__timeFilter_ms(col)`, `$__timeInterval(col)`,
 *   `$__timeInterval_ms(col)`, `$__interval_s`, `$__fromTime`, `$__toTime`, `$__fromTime_ms`,
 *   `$__toTime_ms`.
 *
 * Anything else that starts with `$` (another macro, an unknown variable) throws: a dashboard query
 * that this expander cannot expand is a query the test cannot vouch for.
 */
export interface GrafanaContext {
  fromMs: number;
  toMs: number;
  /** The panel interval Grafana picks for the time range and width. */
  intervalMs: number;
  variables: Readonly<Record<string, string>>;
}

const seconds = (ms: number) => Math.floor(ms / 1000);
const dateTime = (ms: number) => `toDateTime(${seconds(ms)})`;
const dateTime64 = (ms: number) => `fromUnixTimestamp64Milli(${Math.floor(ms)})`;

function oneArgument(name: string, args: string[]): string {
  if (args.length !== 1 || args[0].trim() === '') throw new Error(`$__${name} takes one argument, got (${args.join(',')})`);
  return args[0].trim();
}

type Macro = (args: string[] | null, ctx: GrafanaContext) => string;

const MACROS: Record<string, Macro> = {
  timeFilter: (args, ctx) => {
    const col = oneArgument('timeFilter', args ?? []);
    return `${col} >= ${dateTime(ctx.fromMs)} AND ${col} <= ${dateTime(ctx.toMs)}`;
  },
  timeFilter_ms: (args, ctx) => {
    const col = oneArgument('timeFilter_ms', args ?? []);
    return `${col} >= ${dateTime64(ctx.fromMs)} AND ${col} <= ${dateTime64(ctx.toMs)}`;
  },
  timeInterval: (args, ctx) => `toStartOfInterval(toDateTime(${oneArgument('timeInterval', args ?? [])}), INTERVAL ${Math.max(1, seconds(ctx.intervalMs))} second)`,
  timeInterval_ms: (args, ctx) =>
    `toStartOfInterval(toDateTime64(${oneArgument('timeInterval_ms', args ?? [])}, 3), INTERVAL ${Math.max(1, Math.floor(ctx.intervalMs))} millisecond)`,
  interval_s: (_args, ctx) => String(Math.max(1, seconds(ctx.intervalMs))),
  fromTime: (_args, ctx) => dateTime(ctx.fromMs),
  toTime: (_args, ctx) => dateTime(ctx.toMs),
  fromTime_ms: (_args, ctx) => dateTime64(ctx.fromMs),
  toTime_ms: (_args, ctx) => dateTime64(ctx.toMs),
};

/** Macros that take no argument list: `$__interval_s` must not swallow a following parenthesis. */
const NO_ARGS = new Set(['interval_s', 'fromTime', 'toTime', 'fromTime_ms', 'toTime_ms']);

/** The arguments of a macro call starting at `open` (a '('), split on top-level commas, and the index after ')'. */
function callArguments(sql: string, open: number): { args: string[]; end: number } {
  let depth = 0;
  let start = open + 1;
  const args: string[] = [];
  for (let i = open; i < sql.length; i++) {
    const ch = sql[i];
    if (ch === '(') depth++;
    else if (ch === ')') {
      depth--;
      if (depth === 0) {
        args.push(sql.slice(start, i));
        return { args, end: i + 1 };
      }
    } else if (ch === ',' && depth === 1) {
      args.push(sql.slice(start, i));
      start = i + 1;
    }
  }
  throw new Error(`unclosed macro call at ${JSON.stringify(sql.slice(open - 20, open + 20))}`);
}

function variable(ctx: GrafanaContext, name: string): string {
  const value = ctx.variables[name];
  if (value === undefined) throw new Error(`unknown template variable $${name}`);
  return value;
}

function formatted(value: string, format: string | undefined): string {
  if (format === undefined || format === 'raw') return value;
  if (format === 'singlequote') return `'${value.replace(/'/g, "\\'")}'`;
  throw new Error(`variable format :${format} is not one the dashboard should use`);
}

/** `sql` as Grafana and the ClickHouse plugin would send it for `ctx`. */
export function expandGrafanaSql(sql: string, ctx: GrafanaContext): string {
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i];
    if (ch !== '$') {
      out += ch;
      i++;
      continue;
    }
    const macro = /^\$__([A-Za-z_]+)/.exec(sql.slice(i));
    if (macro) {
      const name = macro[1];
      const fn = MACROS[name];
      if (!fn) throw new Error(`macro $__${name} is not expanded by this test`);
      let next = i + macro[0].length;
      let args: string[] | null = null;
      if (!NO_ARGS.has(name)) {
        if (sql[next] !== '(') throw new Error(`macro $__${name} needs an argument list`);
        const call = callArguments(sql, next);
        args = call.args;
        next = call.end;
      }
      out += fn(args, ctx);
      i = next;
      continue;
    }
    const braced = /^\$\{([A-Za-z0-9_]+)(?::([A-Za-z]+))?\}/.exec(sql.slice(i));
    if (braced) {
      out += formatted(variable(ctx, braced[1]), braced[2]);
      i += braced[0].length;
      continue;
    }
    const bare = /^\$([A-Za-z0-9_]+)/.exec(sql.slice(i));
    if (bare) {
      out += variable(ctx, bare[1]);
      i += bare[0].length;
      continue;
    }
    throw new Error(`a lone $ at ${JSON.stringify(sql.slice(i, i + 20))}`);
  }
  return out;
}

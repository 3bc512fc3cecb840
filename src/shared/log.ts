/**
 * A tiny line logger: the collector's output is read by people at a terminal and by CI logs,
 * so one plain line per event, level-filtered, written to an injected sink (tests capture it).
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  debug(line: string): void;
  info(line: string): void;
  warn(line: string): void;
  error(line: string): void;
}

export function createLogger(level: LogLevel = 'info', write: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Logger {
  const at = (lvl: LogLevel) => (line: string) => {
    if (ORDER[lvl] >= ORDER[level]) write(lvl === 'info' ? line : `${lvl}: ${line}`);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

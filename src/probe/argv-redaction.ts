/** Flag names whose value is a secret: `--token x`, `--read-token=x`, `--api-key x`, `--password x`. */
const SECRET_FLAG = /^--?[\w.-]*(token|secret|password|passwd|api[-_]?key|credential)[\w.-]*$/i;

export const REDACTED = '[redacted]';

/**
 * The command line as the hello reports it (it is stored with the run and shown in the UI):
 * the value of any flag that names a secret is replaced, in either `--flag=value` or
 * `--flag value` form.
 */
export function redactArgv(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const eq = arg.indexOf('=');
    if (eq > 0 && SECRET_FLAG.test(arg.slice(0, eq))) {
      out.push(`${arg.slice(0, eq)}=${REDACTED}`);
    } else if (SECRET_FLAG.test(arg) && i + 1 < args.length && !args[i + 1].startsWith('-')) {
      out.push(arg, REDACTED);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

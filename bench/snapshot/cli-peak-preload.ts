/**
 * Preload (`node -r`) of the snapshot benchmark's `leakwatch-cli` engine. The bin reports nothing
 * about its memory, so this writes the process's peak RSS, the same `process.resourceUsage().maxRSS`
 * the other engines report, as a JSON line at the end of stderr when the process exits (writes
 * to a pipe are synchronous on Linux, so the line is out before the process is). It imports
 * nothing, so the process loads what `leakwatch analyze` loads and no more.
 */
process.once('exit', () => {
  process.stderr.write(`\n${JSON.stringify({ benchPeakRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`);
});

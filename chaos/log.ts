/** The run's clock and log lines: seconds since the suite started. */
export const started = Date.now();
export const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
export const log = (m: string) => process.stdout.write(`[chaos ${elapsed()}] ${m}\n`);
